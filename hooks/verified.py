"""Stamp each page with what the last doctest run verified, read from build/verified.json.

docs/conftest.py writes the record when `nox -s doctest` runs; nothing here is typed by hand. A
page with snippets but no entry in the record says that it was not verified for this build.
The home page's `{{ verified_table }}` becomes the table of every page.
"""

import json
import os
import re
from pathlib import Path

DEFAULT_RECORD = Path(__file__).parent.parent / "build" / "verified.json"
RECORD = Path(os.environ.get("VERIFIED_RECORD", DEFAULT_RECORD))
H1 = re.compile(r"^# .+$", re.MULTILINE)
record = None  # read in on_config, so that `mkdocs serve` picks up a new run on reload


def on_config(config):
    global record
    record = json.loads(RECORD.read_text()) if RECORD.exists() else None


def on_page_markdown(markdown, page, config, files):
    if "{{ verified_table }}" in markdown:
        return markdown.replace("{{ verified_table }}", table())
    entry = record and record["pages"].get(page.file.src_uri)
    if entry:
        stamp = f"✓ {stamp_text(entry)}"
    elif "```python" in markdown:
        stamp = "This page's snippets were not verified for this build: run `nox -s doctest` first."
    else:
        return markdown
    return H1.sub(lambda h1: f"{h1.group(0)}\n\n{stamp}\n{{: .verified }}", markdown, count=1)


def stamp_text(entry):
    text = f"{entry['passed']} snippets verified with torch {record['torch']} on {record['device']}"
    text += f", {record['date']}"
    for reason, count in entry["skipped"].items():
        text += f" · {count} skipped: {reason}"
    if entry["failed"]:
        text += f" · {entry['failed']} failing"
    return text


def table():
    if record is None:
        return "No doctest run was recorded for this build: run `nox -s doctest`, then build."
    lines = [
        f"Verified with torch {record['torch']} and torchvision {record['torchvision']}, "
        f"Python {record['python']}, on {record['device']} ({record['os']}), {record['date']}.",
        "",
        "| page | snippets verified | skipped | failing |",
        "| --- | ---: | --- | ---: |",
    ]
    for page, entry in record["pages"].items():
        skipped = ", ".join(f"{n}: {reason}" for reason, n in entry["skipped"].items()) or "none"
        lines.append(f"| [{page}]({page}) | {entry['passed']} | {skipped} | {entry['failed']} |")
    return "\n".join(lines)
