"""Read the pages under docs/ the way a reader sees them: fences, H2 sections, Sybil's examples."""

import re
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import conftest

DOCS = Path(__file__).parent.parent / "docs"
PAGES = sorted(DOCS.rglob("*.md"))

FENCE_LINE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
# Info strings that mean Python to a reader, whether or not Sybil would run the block.
PYTHON_LOOKING = re.compile(r"^\s*\{?\s*\.?(python3?|py3?|pycon|ipython)\b", re.IGNORECASE)
NOT_RUN = re.compile(r"^\s*<!--\s*not-run:\s*\S.*-->\s*$")


@dataclass
class Fence:
    info: str  # everything after the backticks, as written
    start: int  # character offsets of the whole block in the page
    end: int
    line: int  # line number of the opening fence
    preceded_by: str  # the last non-blank line before the fence

    @property
    def not_run_reason(self):
        return NOT_RUN.match(self.preceded_by) is not None

    @property
    def executed(self):
        return self.info == "python"

    @property
    def python_looking(self):
        return PYTHON_LOOKING.match(self.info) is not None


def fences(text):
    """Every fenced block of a Markdown page, nested ones (in tabs, admonitions) included."""
    found, opening, offset, previous = [], None, 0, ""
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        match = FENCE_LINE.match(line.rstrip("\n"))
        if match and opening is None:
            opening = (match, offset, number, previous.strip())
        elif match and closes(match, opening[0]):
            start_match, start, start_line, preceded_by = opening
            info = start_match["info"]
            found.append(Fence(info, start, offset + len(line), start_line, preceded_by))
            opening = None
        offset += len(line)
        if line.strip():
            previous = line
    return found


def closes(candidate, opening):
    return (
        candidate["fence"][0] == opening["fence"][0]
        and len(candidate["fence"]) >= len(opening["fence"])
        and not candidate["info"].strip()
    )


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
