"""The notebook pages in chromium: no sideways scrolling on a wide screen or on a phone, code
cells dark in dark mode, and Material's copy button on each code cell."""

import re

import nbformat
import pytest
from browsing import url_of
from pages import DOCS

NOTEBOOKS = sorted(DOCS.rglob("*.ipynb"))
WIDTHS = [1400, 375]  # a laptop's window, a phone
notebooks = pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: str(p.relative_to(DOCS)))


def luminance(colour):
    """0 for black to 1 for white: a computed CSS colour, "rgb(39, 42, 53)", weighted as sRGB."""
    red, green, blue = (int(value) / 255 for value in re.findall(r"\d+", colour)[:3])
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


@notebooks
@pytest.mark.parametrize("width", WIDTHS)
def test_page_does_not_scroll_sideways(browser, site_url, notebook, width):
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(site_url + url_of(notebook), wait_until="networkidle")
    root = "document.documentElement"
    assert page.evaluate(f"{root}.scrollWidth - {root}.clientWidth") <= 0
    # A long line scrolls inside its cell: every code and output box ends inside the window.
    rights = page.evaluate(
        "Array.from(document.querySelectorAll('.jp-Cell pre'),"
        " pre => pre.getBoundingClientRect().right)"
    )
    assert rights and max(rights) <= width
    page.close()


@notebooks
def test_code_cells_are_dark_in_dark_mode(browser, site_url, notebook):
    page = browser.new_page(color_scheme="dark")
    page.goto(site_url + url_of(notebook))
    assert page.evaluate("document.body.getAttribute('data-md-color-scheme')") == "slate"
    colours = page.evaluate(
        "Array.from(document.querySelectorAll('.jp-CodeCell pre > code'), code =>"
        " [getComputedStyle(code).backgroundColor, getComputedStyle(code).color])"
    )
    assert colours and all(luminance(bg) < 0.25 < 0.6 < luminance(fg) for bg, fg in colours)
    page.close()


@notebooks
def test_copy_button_gives_the_cells_code(context, site_url, notebook):
    cells = nbformat.read(notebook, as_version=4).cells
    source = next(cell.source for cell in cells if cell.cell_type == "code")
    page = context.new_page()
    page.goto(site_url + url_of(notebook))
    block = page.locator(".jp-CodeCell pre").first
    block.hover()
    block.locator("button[data-md-type=copy]").click()
    assert page.evaluate("navigator.clipboard.readText()") == source.rstrip()
