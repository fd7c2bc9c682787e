"""The fenced blocks of a Markdown page, found the same way by the doctest record and the build.

docs/conftest.py records each ```python block's outcome under `block_hash`, and
hooks/verified.py finds a page's blocks in that record by the same hash, so a block that changed
since the run is told apart from one that ran. No dependency beyond the standard library: the
build imports it as well as the tests.
"""

import hashlib
import re
from dataclasses import dataclass

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
    indent: str  # the opening fence's indentation (inside a tab or an admonition)

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
            info, indent = start_match["info"], start_match["indent"]
            found.append(Fence(info, start, offset + len(line), start_line, preceded_by, indent))
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


def block_hash(text, fence):
    """A short hash of a block's source, its indentation removed: moving a block keeps it."""
    lines = text[fence.start : fence.end].splitlines()
    source = "\n".join(line.removeprefix(fence.indent) for line in lines)
    return hashlib.sha256(source.encode()).hexdigest()[:16]
