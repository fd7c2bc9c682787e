"""The site for readers who use a keyboard, a screen reader, a phone or a wide screen.

axe-core (shipped inside axe-playwright-python, injected from the package: nothing is fetched)
scans every page in both colour schemes; a phone-sized window must not scroll sideways; at
1400 px code lines fit their column.
"""

from collections import Counter

import pytest
from axe_playwright_python.base import AXE_SCRIPT
from browsing import SITE_PAGES, url_of
from pages import DOCS

PAGE_IDS = {"ids": lambda p: str(p.relative_to(DOCS))}
# Material's name for each colour scheme, by the preference the browser reports.
SCHEMES = {"light": "default", "dark": "slate"}
BLOCKING = {"serious", "critical"}
PHONE = {"width": 375, "height": 740}
WIDE = {"width": 1400, "height": 900}
# Two frames: what scripts (Material's, docs/javascripts/) do once the page is laid out is done.
SETTLED = "new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"


@pytest.fixture(scope="module")
def schemed_pages(browser):
    """One page per colour scheme, reused for every page of the site: a new one costs seconds."""
    contexts = {scheme: browser.new_context(color_scheme=scheme) for scheme in SCHEMES}
    yield {scheme: context.new_page() for scheme, context in contexts.items()}
    for context in contexts.values():
        context.close()


@pytest.fixture(scope="module")
def sized_page(browser):
    """A page whose window is resized to each test's width."""
    page = browser.new_page()
    yield page
    page.close()


def open_in_scheme(page, url, scheme):
    page.goto(url)
    # Material picks the scheme matching the browser's preference with a script: wait for it.
    page.wait_for_selector(f"body[data-md-color-scheme={SCHEMES[scheme]}]", state="attached")
    page.evaluate(SETTLED)
    page.evaluate(AXE_SCRIPT)


# Code tokens take their colours from one stylesheet, the same on every page: axe checks the first
# element of each kind of token it meets (per scheme, over the whole run) and leaves out the
# thousands of others, which took half of every scan.
SAMPLE_TOKENS = """seen => {
  for (const token of document.querySelectorAll('.highlight code span[class]')) {
    if (!seen.includes(token.className)) {
      seen.push(token.className);
      token.dataset.axeSample = '';
    }
  }
  return seen;
}"""
UNSAMPLED = ".highlight code span:not([data-axe-sample])"


def start_scan(page, seen_tokens):
    """Start axe on the page without waiting, so both schemes' scans run at once."""
    seen_tokens[:] = page.evaluate(SAMPLE_TOKENS, seen_tokens)
    page.evaluate(
        "window.axeResults = null;"
        f"axe.run({{exclude: [['{UNSAMPLED}']]}}, {{resultTypes: ['violations']}})"
        ".then(results => window.axeResults = results)"
    )


def blocking_violations(page):
    page.wait_for_function("window.axeResults !== null", timeout=120_000)
    violations = page.evaluate("window.axeResults.violations")
    return [v for v in violations if v["impact"] in BLOCKING]


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
def seen_tokens():
    """The kinds of code token axe has checked so far, per scheme."""
    return {scheme: [] for scheme in SCHEMES}


@pytest.mark.parametrize("page_path", SITE_PAGES, **PAGE_IDS)
def test_no_serious_accessibility_violations(schemed_pages, seen_tokens, site_url, page_path):
    for scheme, page in schemed_pages.items():
        open_in_scheme(page, site_url + url_of(page_path), scheme)
        start_scan(page, seen_tokens[scheme])
    found = {scheme: blocking_violations(page) for scheme, page in schemed_pages.items()}
    assert not any(found.values()), "axe-core found:\n" + summary(found)


# Each display equation wider than its box, with what lets a reader reach the rest of it.
EQUATIONS_CUT_OFF = """() => Array.from(document.querySelectorAll('.math-display'))
  .filter(box => box.scrollWidth > box.clientWidth)
  .map(box => ({scrolls: getComputedStyle(box).overflowX, focusable: box.tabIndex === 0}))"""


@pytest.mark.parametrize("page_path", SITE_PAGES, **PAGE_IDS)
def test_a_phone_never_scrolls_the_page_sideways(sized_page, site_url, page_path):
    sized_page.set_viewport_size(PHONE)
    sized_page.goto(site_url + url_of(page_path))
    sized_page.evaluate(SETTLED)
    assert sized_page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for equation in sized_page.evaluate(EQUATIONS_CUT_OFF):
        assert equation == {"scrolls": "auto", "focusable": True}


# Code blocks whose source lines overflow; printed output wraps (extra.css), so only code counts.
OVERFLOWING_CODE = """() => Array.from(document.querySelectorAll('article pre > code'))
  .filter(code => code.scrollWidth > code.clientWidth)
  .map(code => code.innerText.split('\\n').reduce((a, b) => (b.length > a.length ? b : a)))"""


@pytest.mark.parametrize("page_path", SITE_PAGES, **PAGE_IDS)
def test_code_fits_its_column_at_1400_px(sized_page, site_url, page_path):
    sized_page.set_viewport_size(WIDE)
    sized_page.goto(site_url + url_of(page_path))
    longest_lines = sized_page.evaluate(OVERFLOWING_CODE)
    assert not longest_lines, "wider than the column:\n" + "\n".join(longest_lines)
