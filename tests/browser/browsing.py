"""What the browser tests share besides fixtures: page addresses, and searching as a reader does."""

from pathlib import Path
from urllib.parse import urlparse

from pages import DOCS, PAGES
from playwright.sync_api import expect

ROOT = DOCS.parent
SITE_PAGES = PAGES + sorted(DOCS.rglob("*.ipynb"))
# Flags for a browser in a sandbox with no network: no background requests to Google's hosts.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def url_of(page_path):
    """docs/basics/tensors.md -> basics/tensors/, docs/basics/index.md -> basics/."""
    relative = page_path.relative_to(DOCS).with_suffix("")
    if relative.name == "index":
        relative = relative.parent
    return "" if relative == Path() else f"{relative.as_posix()}/"


def search(page, query):
    """Enter a query into the site's search as a reader does; the result links, best first."""
    box = page.locator(".md-search__input").first
    box.click()
    # A query entered while the search worker still builds its index is dropped: wait for it.
    meta = page.locator(".md-search-result__meta")
    expect(meta).to_have_text("Type to start searching", timeout=30_000)
    expect(page.locator(".md-search-result__item")).to_have_count(0)  # no earlier results left
    # Material searches when a key is released: typing letter by letter would send the worker
    # one search per letter, so fill the box and release one key that changes nothing.
    box.fill(query)
    box.press("End")
    results = page.locator(".md-search-result__item a")
    expect(results.first).to_be_visible(timeout=30_000)
    return results.evaluate_all("links => links.map(a => a.href)")


def target(href):
    """A result link as 'basics/autograd/#anchor': without the host or Material's ?h= query."""
    url = urlparse(href)
    return url.path.lstrip("/") + (f"#{url.fragment}" if url.fragment else "")
