"""Write the Errors page's index from every traceback that a doctest on the site shows.

A page's doctest that raises shows its traceback, and Sybil checks the message. This hook reads
every page's ```python blocks, keeps the examples whose expected output is a traceback, and
replaces `{{ errors_index }}` with one table per exception type: one row per distinct message,
linked to the H2 section that raises it. Nothing in the index is typed by hand, so a new page
that shows an error appears in it at the next build.
"""

import doctest
import os
import re
import textwrap
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from markdown.extensions.toc import slugify

PLACEHOLDER = "{{ errors_index }}"
FENCE = re.compile(r"^(?P<indent>[ \t]*)```python\n(?P<body>.*?)^(?P=indent)```", re.M | re.S)
H1 = re.compile(r"^# (.+)$", re.M)
H2 = re.compile(r"^## (.+)$", re.M)
DOCTEST_PARSER = doctest.DocTestParser()


@dataclass(frozen=True)
class ShownError:
    kind: str  # the exception's class, as the traceback names it: "RuntimeError"
    message: str  # its first line, as the page shows it
    page: str  # the page's path below docs/: "basics/tensors.md"
    page_title: str
    section: str  # the H2 title of the section that raises it


def on_page_markdown(markdown, page, config, files):
    if PLACEHOLDER not in markdown:
        return markdown
    docs = Path(config.docs_dir)
    shown = [
        error
        for file in files.documentation_pages()
        if file.src_uri.endswith(".md")
        for error in shown_errors(file.src_uri, (docs / file.src_uri).read_text())
    ]
    return markdown.replace(PLACEHOLDER, index(shown, page.file.src_uri))


def shown_errors(src_uri, text):
    """Each traceback the page's doctests show, with the section it is in."""
    title = H1.search(text)
    fences = [(m.start(), m.end()) for m in FENCE.finditer(text)]
    headings = [
        (m.start(), m.group(1).strip())
        for m in H2.finditer(text)
        if not any(start <= m.start() < end for start, end in fences)
    ]
    for fence in FENCE.finditer(text):
        section = next((t for at, t in reversed(headings) if at < fence.start()), None)
        for example in DOCTEST_PARSER.get_examples(textwrap.dedent(fence["body"])):
            if example.exc_msg is None or section is None:
                continue
            kind, _, message = example.exc_msg.splitlines()[0].partition(": ")
            # "...mat1 and mat2 shapes ..." elides a prefix that varies between releases.
            message = message.strip().removeprefix("...").strip()
            if message.strip(". "):
                page_title = title.group(1) if title else src_uri
                yield ShownError(kind, message, src_uri, page_title, section)


def index(shown, index_src_uri):
    """A table per exception type, types in alphabetical order, one row per message."""
    by_kind = defaultdict(dict)
    for error in sorted(shown, key=lambda e: (e.kind, e.message.lower(), e.page)):
        by_kind[error.kind].setdefault(error.message, error)  # the first section that shows it
    messages = sum(len(rows) for rows in by_kind.values())
    parts = [f"{messages} messages of {len(by_kind)} exception types, from the pages below."]
    for kind, rows in sorted(by_kind.items(), key=lambda item: item[0].lower()):
        table = ["| message | where it is raised and fixed |", "| --- | --- |"]
        table += [row(error, index_src_uri) for error in rows.values()]
        parts.append(f"## {kind}\n\n" + "\n".join(table))
    return "\n\n".join(parts) + "\n"


def row(error, index_src_uri):
    here = Path(index_src_uri).parent
    href = Path(os.path.relpath(error.page, here)).as_posix()
    anchor = slugify(error.section.replace("`", "").replace("\\", ""), "-")
    section = error.section.replace("|", "\\|")
    return f"| {code(error.message)} | [{error.page_title}: {section}]({href}#{anchor}) |"


def code(text):
    """Inline code for a table cell; the table extension leaves pipes inside code alone."""
    return f"`` {text} ``" if "`" in text else f"`{text}`"
