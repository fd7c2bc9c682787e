"""The cheat sheet printed by chromium, as `nox -s pdf` prints it: A4, short, and only checked code.

The PDF's code is told from its prose by the font: a line printed wholly in a monospace font is
a line of a code block. Each must be a line of a block of docs/reference/cheatsheet.md that a
doctest run recorded as passed (in build/verified/, under the hash of the block's source as it
is now), and each line of those blocks must be printed whole, neither cut at the column's edge
nor wrapped onto two lines.
"""

import json
import re
from types import SimpleNamespace

import cheatsheet_pdf  # hooks/cheatsheet_pdf.py
import pytest
from browsing import ROOT
from fences import block_hash, fences
from pages import DOCS
from pypdf import PdfReader

PAGE = DOCS / cheatsheet_pdf.PAGE
RECORDS = ROOT / "build" / "verified"
A4 = (595.28, 841.89)  # points
MAX_PAGES = 4
MONOSPACE = re.compile(r"Mono|Courier", re.IGNORECASE)


@pytest.fixture(scope="module")
def pdf(site_url, tmp_path_factory):
    path = tmp_path_factory.mktemp("printed") / "cheatsheet.pdf"
    cheatsheet_pdf.print_pdf(site_url + "reference/cheatsheet/", path)
    return PdfReader(path)


def printed_code_lines(reader):
    """The lines of every page that are printed in a monospace font only, stripped."""
    lines = []
    for page in reader.pages:
        pieces = [[]]  # per line: (text, in a monospace font)

        def visit(text, cm, tm, font, size, pieces=pieces):
            for part in re.split(r"(\n)", text):
                if part == "\n":
                    pieces.append([])
                elif part.strip():
                    base_font = str(font.get("/BaseFont", "")) if font else ""
                    pieces[-1].append((part, MONOSPACE.search(base_font) is not None))
                elif part:
                    pieces[-1].append((part, True))  # a space belongs to either

        page.extract_text(visitor_text=visit)
        for line in pieces:
            if line and all(monospace for _, monospace in line):
                lines.append("".join(text for text, _ in line).strip())
    return [line for line in lines if line]


def verified_blocks():
    """The source lines of each block of the page that a doctest run passed and none failed."""
    runs = [json.loads(path.read_text()) for path in sorted(RECORDS.glob("*.json"))]
    src_uri = cheatsheet_pdf.PAGE
    outcomes = [
        {block["hash"]: block["outcome"] for block in run["pages"][src_uri]["blocks"]}
        for run in runs
        if src_uri in run["pages"]
    ]
    assert outcomes, f"no doctest run recorded {src_uri}: run `nox -s doctest`, then this test"
    text = PAGE.read_text()
    verified, unverified = [], []
    for fence in fences(text):
        if not fence.executed:
            continue
        seen = [run.get(block_hash(text, fence)) for run in outcomes]
        lines = [line.strip() for line in text[fence.start : fence.end].splitlines()[1:-1]]
        passed = "passed" in seen and not any(o and o.startswith("failed") for o in seen)
        (verified if passed else unverified).append([line for line in lines if line])
    return verified, unverified


def test_fits_on_four_a4_pages(pdf):
    assert 1 <= len(pdf.pages) <= MAX_PAGES
    for page in pdf.pages:
        size = (float(page.mediabox.width), float(page.mediabox.height))
        assert size == pytest.approx(A4, abs=1), f"not A4 but {size} points"


def test_every_printed_code_line_was_verified(pdf):
    verified, unverified = verified_blocks()
    assert unverified == [], "blocks that no doctest run passed as they are now"
    page_lines = {line for block in verified for line in block}
    printed = printed_code_lines(pdf)
    assert [line for line in printed if line not in page_lines] == []
    assert [line for line in page_lines if line not in printed] == []


def test_download_link_only_for_a_current_pdf(tmp_path, monkeypatch):
    docs = tmp_path / "docs"
    (docs / PAGE.parent.name).mkdir(parents=True)
    (docs / cheatsheet_pdf.PAGE).write_text("# Cheat sheet\n\nOne paragraph.\n")
    config = SimpleNamespace(docs_dir=str(docs), site_dir=str(tmp_path / "site"))
    page = SimpleNamespace(file=SimpleNamespace(src_uri=cheatsheet_pdf.PAGE))
    printed = tmp_path / "cheatsheet.pdf"
    monkeypatch.setattr(cheatsheet_pdf, "PDF", printed)
    markdown = (docs / cheatsheet_pdf.PAGE).read_text()

    assert cheatsheet_pdf.on_page_markdown(markdown, page, config, None) == markdown
    printed.write_bytes(b"%PDF-")  # newer than the page
    linked = cheatsheet_pdf.on_page_markdown(markdown, page, config, None)
    assert linked.startswith(f"# Cheat sheet\n\n{cheatsheet_pdf.LINK}\n")
    cheatsheet_pdf.on_post_build(config)
    assert (tmp_path / "site" / "reference" / "cheatsheet" / "cheatsheet.pdf").is_file()
