"""Offer the cheat sheet as an A4 PDF, printed by Debian's chromium from the built site.

`nox -s pdf` builds the site, prints the cheat sheet page to build/cheatsheet.pdf with this
module's `print_pdf` (`python hooks/cheatsheet_pdf.py SITE_DIR`), then builds again. At build
time this hook links the PDF under the page's title and copies it beside the page, but only when
it is newer than the page's source: a build without the PDF, or with one printed from an older
version of the page, has no link, so nothing points at a file that is missing or out of date.
docs/stylesheets/print.css lays the page out for print.
"""

import logging
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent
PAGE = "reference/cheatsheet.md"
PDF = ROOT / "build" / "cheatsheet.pdf"
LINK = '<a href="cheatsheet.pdf" download>Download this page as an A4 PDF</a>\n{: .download }'
# No sandbox (it runs as root in containers), no GPU, and no requests to Google's hosts.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-pdf-header-footer",
]
log = logging.getLogger("mkdocs.hooks.cheatsheet_pdf")


def print_pdf(url, pdf):
    """Print the page at `url` (http:// or file://) to the file `pdf`, as chromium prints it."""
    pdf.parent.mkdir(parents=True, exist_ok=True)
    command = ["chromium", *CHROMIUM_FLAGS, f"--print-to-pdf={pdf}", url]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    if not pdf.is_file():
        raise RuntimeError(f"chromium printed no PDF of {url}")


def pdf_is_current(config):
    page = Path(config.docs_dir) / PAGE
    return PDF.is_file() and PDF.stat().st_mtime >= page.stat().st_mtime


def on_page_markdown(markdown, page, config, files):
    if page.file.src_uri != PAGE:
        return markdown
    if not pdf_is_current(config):
        log.info("%s: no PDF link, since build/cheatsheet.pdf is missing or older than the "
                 "page (nox -s pdf prints it)", PAGE)  # fmt: skip
        return markdown
    return re.sub(r"^# .+$", lambda h1: f"{h1.group(0)}\n\n{LINK}", markdown, count=1, flags=re.M)


def on_post_build(config):
    if pdf_is_current(config):
        page_dir = Path(config.site_dir) / Path(PAGE).with_suffix("")
        page_dir.mkdir(parents=True, exist_ok=True)
        shutil.copy2(PDF, page_dir / PDF.name)


if __name__ == "__main__":
    site = Path(sys.argv[1]).resolve()
    print_pdf((site / Path(PAGE).with_suffix("") / "index.html").as_uri(), PDF)
