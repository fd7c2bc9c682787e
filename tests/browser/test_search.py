"""The site's search, queried as readers query it: a task, an API name, or a pasted error.

The queries and the section that answers each are in search_queries.py, with where they come
from; benchmarks/search_hits.py replays the same list without a browser.
"""

import pytest
from browsing import search, target
from playwright.sync_api import expect
from search_queries import ERRORS, KNOWN_MISSES, PASTED_ERRORS, READER_QUERIES, SHOWN


def reader_cases():
    """Each reader query as a test case; a known miss is expected to fail until it lands."""
    return [
        pytest.param(query, section, id=query, marks=known_miss(query))
        for query, section in READER_QUERIES
    ]


def known_miss(query):
    if query not in KNOWN_MISSES:
        return ()
    return pytest.mark.xfail(strict=True, reason=f"known miss: {KNOWN_MISSES[query]}")


@pytest.fixture(scope="module")
def search_page(browser, site_url):
    """One loaded page for every query: the search index is built once per page load."""
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(site_url)
    yield page
    context.close()


def paste(page, text):
    """Paste `text` into the search box, as a reader pastes a traceback's first line."""
    page.locator(".md-search__input").first.click()
    expect(page.locator(".md-search-result__meta")).to_have_text("Type to start searching")
    page.evaluate("text => navigator.clipboard.writeText(text)", text)
    page.locator(".md-search__input").first.press("ControlOrMeta+V")


def shown_results(page, query, enter=search):
    """The results a reader sees for `query`, best first, as 'page/#anchor'.

    Material groups results by page: each group shows its page's best sections, and folds the
    rest away; a group that matched no section shows the page alone.
    """
    page.locator(".md-search__input").first.fill("")  # back to "Type to start searching"
    enter(page, query)
    shown = """items => items.flatMap(item => {
        const links = [...item.querySelectorAll(":scope > a")].map(a => a.href)
        const sections = links.filter(href => href.includes("#"))
        return sections.length ? sections : links
    })"""
    groups = page.locator(".md-search-result__item")
    # One search was sent, after the box was emptied: the first results shown are its own.
    expect(groups.first).to_be_visible()
    return [target(href) for href in groups.evaluate_all(shown)]


@pytest.mark.parametrize(("query", "section"), reader_cases())
def test_reader_query_finds_its_section(search_page, query, section):
    assert section in shown_results(search_page, query)[:SHOWN]


@pytest.mark.parametrize(
    ("message", "anchor"), PASTED_ERRORS, ids=[m.split(":")[0] + ":" + a for m, a in PASTED_ERRORS]
)
def test_pasted_error_finds_its_section(search_page, message, anchor):
    assert ERRORS + anchor in shown_results(search_page, message, enter=paste)[:SHOWN]
