// A region that scrolls sideways can be scrolled with the arrow keys only once it can take focus.
// Material does this for code blocks on pages; this does it for display equations and notebook
// cells, and only while they overflow, so a region that fits adds no stop to the Tab order.
const SCROLLABLE = ".math-display, .highlight-ipynb, .jp-OutputArea-output pre";

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
