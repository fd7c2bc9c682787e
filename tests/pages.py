"""Read the pages under docs/ the way a reader sees them: fences, H2 sections, Sybil's examples."""

import re
from itertools import pairwise
from pathlib import Path

from fences import fences  # hooks/fences.py, which the build uses too

import conftest

DOCS = Path(__file__).parent.parent / "docs"
PAGES = sorted(DOCS.rglob("*.md"))


def sections(text):
    """Split a page at its H2 headings: [(title, start, end)], the setup part first as ''."""
    heading_offsets = []
    inside = [(f.start, f.end) for f in fences(text)]
    for match in re.finditer(r"^## (.+)$", text, re.MULTILINE):
        if not any(start <= match.start() < end for start, end in inside):
            heading_offsets.append((match.group(1).strip(), match.start()))
    bounds = [("", 0), *heading_offsets, (None, len(text))]
    return [(title, start, end) for (title, start), (_, end) in pairwise(bounds)]


def parse(page):
    """The page as Sybil parses it for the doctest run: a fresh Document with its examples."""
    return conftest.sybil.parse(page)
