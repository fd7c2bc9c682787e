"""The built site in Debian's chromium, driven by Playwright, used the way a reader uses it.

`nox -s browser` builds the site, serves it on 127.0.0.1 and runs these tests. Screenshots of a
few pages land in build/screenshots/ for review.
"""

import re

import pytest
from browsing import ROOT, search, url_of
from pages import DOCS, PAGES, fences, sections
from playwright.sync_api import expect

SCREENSHOTS = ROOT / "build" / "screenshots"
SAMPLED_SECTIONS_PER_PAGE = 3
TRACEBACK = re.compile(r"^\s*Traceback \(most recent call last\):\n(?:.*\n)*?\s*([\w.]+):", re.M)


def sampled_blocks(page_path):
    """The first block of a few sections: (its index among the page's code blocks, its source)."""
    text = page_path.read_text()
    blocks = fences(text)
    picks = []
    for _, start, end in sections(text)[1:]:
        first = next((i for i, f in enumerate(blocks) if start <= f.start < end), None)
        if first is None or not blocks[first].executed:
            continue
        if "<!-- skip:" not in text[start : blocks[first].start]:
            picks.append((first, text[blocks[first].start : blocks[first].end]))
    step = max(1, len(picks) // SAMPLED_SECTIONS_PER_PAGE)
    return picks[::step][:SAMPLED_SECTIONS_PER_PAGE]


def setup_code(page_path):
    text = page_path.read_text()
    setup = next(f for f in fences(text) if f.executed)
    return text[setup.start : setup.end].split("\n", 1)[1].rsplit("```", 1)[0]


# The export page's blocks write files that torch.export and ONNX read back by module name,
# which code run with exec() has not; the doctest run checks them.
NOT_COPY_TESTED = {DOCS / "performance" / "export.md"}
COPY_CASES = [
    pytest.param(page_path, index, source, id=f"{page_path.relative_to(DOCS)}:block{index}")
    for page_path in PAGES
    if page_path not in NOT_COPY_TESTED
    for index, source in sampled_blocks(page_path)
]


@pytest.fixture(scope="module")
def copying_page(browser):
    """One page for the copy tests: the sampled blocks of one site page share its load."""
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    yield context.new_page()
    context.close()


@pytest.mark.parametrize(("page_path", "index", "source"), COPY_CASES)
def test_copy_button_gives_runnable_code(copying_page, site_url, page_path, index, source):
    page, url = copying_page, site_url + url_of(page_path)
    if page.url != url:
        page.goto(url)
    block = page.locator("article div.highlight").nth(index)
    block.hover()
    block.locator("button[data-md-type=copy]").click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert ">>>" not in copied and "\n..." not in copied and "Traceback" not in copied
    program = compile(setup_code(page_path) + "\n" + copied, f"copied from {page_path}", "exec")
    shown_error = TRACEBACK.search(source)
    if shown_error is None:
        exec(program, {})
    else:  # the block shows an error on purpose: the copied code raises the same one
        with pytest.raises(Exception) as raised:
            exec(program, {})
        assert type(raised.value).__name__ == shown_error[1].rsplit(".", 1)[-1]


def test_prompts_and_output_cannot_be_selected(context, site_url):
    page = context.new_page()
    page.goto(site_url + "basics/tensors/")
    styles = page.evaluate(
        "Array.from(document.querySelectorAll('.gp, .go')).map(e => getComputedStyle(e).userSelect)"
    )
    assert styles and set(styles) == {"none"}


@pytest.mark.parametrize(
    ("word", "page_url"), [("detach", "basics/autograd/"), ("einsum", "basics/tensors/")]
)
def test_search_finds_a_word_from_a_page_body(context, site_url, word, page_url):
    page = context.new_page()
    page.goto(site_url)
    hrefs = search(page, word)
    assert any(f"/{page_url}" in href for href in hrefs)


def test_math_renders(context, site_url):
    page = context.new_page()
    page.goto(site_url + "basics/tensors/")
    formula = page.locator("article math").first
    expect(formula).to_be_visible()
    assert formula.bounding_box()["height"] > 5


def test_dark_mode_toggle(context, site_url):
    page = context.new_page()
    page.goto(site_url)
    scheme = "document.body.getAttribute('data-md-color-scheme')"
    before = page.evaluate(scheme)
    page.locator("form[data-md-component=palette] label:visible").first.click()
    assert {before, page.evaluate(scheme)} == {"default", "slate"}


def test_navigation_reachable_on_a_phone(browser, site_url):
    page = browser.new_page(viewport={"width": 375, "height": 740})
    page.goto(site_url)
    page.locator("label.md-header__button[for=__drawer]").click()
    primary = page.locator("nav.md-nav--primary")
    expect(primary.get_by_text("Basics", exact=True).first).to_be_visible()
    # Each section's index page lists its pages: the way on from a section to a page.
    page.goto(site_url + "basics/")
    page.locator("article").get_by_role("link", name="Tensors", exact=True).click()
    expect(page).to_have_url(site_url + "basics/tensors/")


SCREENSHOT_PAGES = [("home", ""), ("tensors", "basics/tensors/"), ("cifar10", "examples/cifar10/")]


@pytest.mark.parametrize(("name", "url"), SCREENSHOT_PAGES)
def test_screenshot_for_review(browser, site_url, name, url):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(site_url + url, wait_until="networkidle")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)
    assert (SCREENSHOTS / f"{name}.png").stat().st_size > 10_000


def test_every_block_shows_its_mark_and_the_page_its_count(context, site_url):
    page = context.new_page()
    page.goto(site_url + "basics/devices/")
    blocks = [f for f in fences((DOCS / "basics" / "devices.md").read_text()) if f.executed]
    marks = page.locator("article .block-mark")
    expect(marks).to_have_count(len(blocks))
    expect(marks.first).to_be_visible()  # the others may sit in a tab not shown
    follows_code = "e => e.previousElementSibling.classList.contains('highlight')"
    assert all(marks.nth(i).evaluate(follows_code) for i in range(len(blocks)))
    line = page.locator("article p.verified").first
    expect(line).to_contain_text(f"of {len(blocks)} blocks verified")
    # Under the page's first paragraph, not between the title and it.
    assert line.evaluate("e => e.previousElementSibling.tagName") == "P"
