// A region that scrolls sideways can be scrolled with the arrow keys only once it can take focus.
// Material does this for code blocks (notebook cells among them); this does it for display
// equations and notebook outputs, only while they overflow: one that fits adds no Tab stop.
const SCROLLABLE = ".math-display, .jp-OutputArea-output pre";

const overflowWatcher = new ResizeObserver((entries) => {
  for (const { target } of entries) {
    if (target.scrollWidth > target.clientWidth) {
      target.tabIndex = 0;
    } else {
      target.removeAttribute("tabindex");
    }
  }
});

for (const region of document.querySelectorAll(SCROLLABLE)) {
  overflowWatcher.observe(region);
}
