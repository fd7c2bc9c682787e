"""The home page's list of topics: every section and page in nav order, each with its one line.

Each section's index.md lists its pages as `- [Title](page.md): what it answers.` (tests/
test_layout.py checks that it lists them all); `{{ topics }}` on the home page becomes those
lists under one heading per section, so a page's line is written once, in its section.
"""

import re
from pathlib import Path

ITEM = re.compile(r"^- \[.+?\]\(.+?\).*(?:\n  .+)*", re.MULTILINE)
LINK = re.compile(r"\]\((?![a-z]+:|#)([^)]+)\)")


def on_page_markdown(markdown, page, config, files):
    if "{{ topics }}" not in markdown:
        return markdown
    return markdown.replace("{{ topics }}", topics(config["nav"], Path(config.docs_dir)))


def topics(nav, docs):
    sections = [
        (title, entries[0] if isinstance(entries[0], str) else next(iter(entries[0].values())))
        for item in nav
        if isinstance(item, dict)
        for title, entries in item.items()
        if isinstance(entries, list)
    ]
    return "\n\n".join(section_topics(title, index, docs) for title, index in sections)


def section_topics(title, index, docs):
    """A section's heading, linked to its index, over its index's list with links relinked."""
    folder = Path(index).parent.as_posix()
    items = ITEM.findall((docs / index).read_text())
    relinked = [LINK.sub(lambda link: f"]({folder}/{link[1]})", entry) for entry in items]
    return f"### [{title}]({index})\n\n" + "\n".join(relinked)
