"""Every page of the site, loaded once for all these tests, as readers of every kind meet it.

It loads with no error and nothing fetched from another host; axe-core (shipped inside
axe-playwright-python, injected from the package: nothing is fetched) finds no serious
violation in either colour scheme, for readers who use a keyboard or a screen reader; a
phone-sized window never scrolls sideways; at 1400 px code lines fit their column.
"""

from collections import Counter
from urllib.parse import urlparse

import pytest
from axe_playwright_python.base import AXE_SCRIPT
from browsing import SITE_PAGES, url_of
from pages import DOCS

PAGE_IDS = {"ids": lambda p: str(p.relative_to(DOCS))}
# Material's name for each colour scheme.
SCHEMES = {"light": "default", "dark": "slate"}
BLOCKING = {"serious", "critical"}
PHONE = {"width": 375, "height": 740}
WIDE = {"width": 1400, "height": 900}
DESKTOP = {"width": 1280, "height": 720}  # Playwright's default window
# Two frames: what scripts (Material's, docs/javascripts/) do once the page is laid out is done.
SETTLED = "new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"


@pytest.fixture(scope="module")
def window(browser):
    """One browser page for the whole module, with what went wrong while loading each page."""
    context = browser.new_context(color_scheme="light")
    page = context.new_page()
    page.problems, page.hosts = [], set()
    page.on("console", lambda m: m.type == "error" and page.problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda error: page.problems.append(f"page error: {error}"))
    page.on("requestfailed", lambda r: page.problems.append(f"failed: {r.url}"))
    page.on("request", lambda r: page.hosts.add(urlparse(r.url).hostname))
    yield page
    context.close()


@pytest.fixture(scope="module", params=SITE_PAGES, **PAGE_IDS)
def site_page(request, window, site_url):
    """Each page of the site, loaded once for all the tests below (a load costs about a second)."""
    window.problems.clear()
    window.hosts.clear()
    window.set_viewport_size(DESKTOP)
    window.goto(site_url + url_of(request.param), wait_until="networkidle")
    window.evaluate(SETTLED)
    return window


def test_page_loads_cleanly_and_offline(site_page):
    assert site_page.problems == []
    assert site_page.hosts - {None} == {"127.0.0.1"}  # None: data: URLs, which stay in the page
    text = site_page.locator("article").inner_text()
    assert "\\(" not in text and "$$" not in text, "math left unrendered"


def show_scheme(page, scheme):
    """Switch the page to `scheme` with Material's toggle, as a reader does."""
    body = f"body[data-md-color-scheme={SCHEMES[scheme]}]"
    if not page.locator(body).count():
        page.locator("form[data-md-component=palette] label:visible").first.click()
        page.wait_for_selector(body, state="attached")
    page.evaluate(SETTLED)


# Colour contrast is three quarters of a scan, and the site has one stylesheet: elements that
# share their tag, classes, colour and background with all their ancestors pass or fail alike.
# axe checks the contrast of the first visible element of each such kind that holds text (per
# scheme, over the whole run) and every other rule on every element.
SAMPLE_KINDS = """seen => {
  seen = new Set(seen);
  // A kind: the tag, classes and colours of the element and of each of its ancestors.
  const kinds = new Map();
  const kind = element => {
    if (!element) return "";
    if (!kinds.has(element)) {
      const classes = [...element.classList].sort().join(".");
      const style = getComputedStyle(element);
      const own = `${element.tagName}.${classes} ${style.color} ${style.backgroundColor}`;
      kinds.set(element, `${kind(element.parentElement)} > ${own}`);
    }
    return kinds.get(element);
  };
  const holdsText = element => [...element.childNodes].some(
    node => node.nodeType === Node.TEXT_NODE && node.textContent.trim());
  window.contrastSample = [];
  for (const element of document.body.querySelectorAll("*")) {
    if (!holdsText(element) || seen.has(kind(element)) || !element.checkVisibility()) continue;
    seen.add(kind(element));
    window.contrastSample.push(element);
  }
  return [...seen];
}"""

# Two runs, one after the other (axe refuses to run twice at once in one page): every rule but
# contrast on the whole page, then contrast on the sample. A scheme changes colours only, so after
# the first scheme the first run keeps only the rules that read colours.
COLOUR_RULES = ["link-in-text-block"]
SCAN = """rules => {
  const only = {resultTypes: ['violations']};
  const noContrast = {...only, rules: {'color-contrast': {enabled: false}}};
  const rest = rules ? {...only, runOnly: rules} : noContrast;
  const contrast = {...only, runOnly: ['color-contrast']};
  return axe.run(document, rest)
    .then(found => (window.contrastSample.length
        ? axe.run({include: window.contrastSample}, contrast)
        : Promise.resolve({violations: []}))
      .then(sampled => found.violations.concat(sampled.violations)));
}"""


def blocking_violations(page, seen_kinds, rules=None):
    """axe's serious and critical violations: of `rules` only, if given, and of contrast."""
    seen_kinds[:] = page.evaluate(SAMPLE_KINDS, seen_kinds)
    return [v for v in page.evaluate(SCAN, rules) if v["impact"] in BLOCKING]


def summary(violations_by_scheme):
    """Per scheme and rule, how many elements fail, with the first one and axe's message."""
    lines = []
    for scheme, violations in violations_by_scheme.items():
        counts = Counter()
        for violation in violations:
            counts[violation["id"], violation["impact"]] += len(violation["nodes"])
            node = violation["nodes"][0]
            message = next((c["message"] for c in node["any"] + node["all"] + node["none"]), "")
            lines.append(f"  {scheme} {violation['id']}: {node['target']} {message}")
        lines[:0] = [f"{scheme} {rule} ({impact}): {n}" for (rule, impact), n in counts.items()]
    return "\n".join(lines)


@pytest.fixture(scope="module")
def seen_kinds():
    """The kinds of element whose contrast axe has checked so far, per scheme."""
    return {scheme: [] for scheme in SCHEMES}


def test_no_serious_accessibility_violations(site_page, seen_kinds):
    site_page.set_viewport_size(DESKTOP)
    site_page.evaluate(AXE_SCRIPT)
    found = {}
    for scheme, rules in zip(SCHEMES, [None, COLOUR_RULES], strict=True):
        show_scheme(site_page, scheme)
        found[scheme] = blocking_violations(site_page, seen_kinds[scheme], rules)
    show_scheme(site_page, "light")  # Material keeps the choice for the next page
    assert not any(found.values()), "axe-core found:\n" + summary(found)


# Each display equation wider than its box, with what lets a reader reach the rest of it.
EQUATIONS_CUT_OFF = """() => Array.from(document.querySelectorAll('.math-display'))
  .filter(box => box.scrollWidth > box.clientWidth)
  .map(box => ({scrolls: getComputedStyle(box).overflowX, focusable: box.tabIndex === 0}))"""


def test_a_phone_never_scrolls_the_page_sideways(site_page):
    site_page.set_viewport_size(PHONE)
    site_page.evaluate(SETTLED)
    assert site_page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for equation in site_page.evaluate(EQUATIONS_CUT_OFF):
        assert equation == {"scrolls": "auto", "focusable": True}


# Code blocks whose source lines overflow; printed output wraps (extra.css), so only code counts.
OVERFLOWING_CODE = """() => Array.from(document.querySelectorAll('article pre > code'))
  .filter(code => code.scrollWidth > code.clientWidth)
  .map(code => code.innerText.split('\\n').reduce((a, b) => (b.length > a.length ? b : a)))"""


def test_code_fits_its_column_at_1400_px(site_page):
    site_page.set_viewport_size(WIDE)
    site_page.evaluate(SETTLED)
    longest_lines = site_page.evaluate(OVERFLOWING_CODE)
    assert not longest_lines, "wider than the column:\n" + "\n".join(longest_lines)
