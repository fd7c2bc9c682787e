"""Stamp each page with what the doctest runs verified, read from build/verified/torch-*.json.

docs/conftest.py writes one record per torch version that `nox -s doctest` ran with; nothing here
is typed by hand. Each page gets a line under its title and a compatibility table (one row per
torch version); a page with snippets but no record says so. The home page's
`{{ verified_table }}` becomes the table of every page.
"""

import json
import os
import re
from pathlib import Path

DEFAULT_RECORDS = Path(__file__).parent.parent / "build" / "verified"
RECORDS = Path(os.environ.get("VERIFIED_RECORDS", DEFAULT_RECORDS))
H1 = re.compile(r"^# .+$", re.MULTILINE)
records = []  # newest torch first; read in on_config, so that `mkdocs serve` sees a new run


def on_config(config):
    global records
    found = [json.loads(path.read_text()) for path in RECORDS.glob("torch-*.json")]
    records = sorted(found, key=lambda record: version_key(record["torch"]), reverse=True)


def version_key(version):
    return tuple(int(part) for part in re.findall(r"\d+", version.split("+")[0]))


def on_page_markdown(markdown, page, config, files):
    if "{{ verified_table }}" in markdown:
        return markdown.replace("{{ verified_table }}", home_table())
    runs = [(r, r["pages"][page.file.src_uri]) for r in records if page.file.src_uri in r["pages"]]
    if runs:
        stamp = f"{stamp_line(runs)}\n{{: .verified }}\n\n{compatibility(runs)}"
    elif "```python" in markdown:
        stamp = "Not verified for this build: run `nox -s doctest` first.\n{: .verified }"
    else:
        return markdown
    return H1.sub(lambda h1: f"{h1.group(0)}\n\n{stamp}", markdown, count=1)


def stamp_line(runs):
    newest, entry = runs[0]
    text = (
        f"✓ {entry['passed']} snippets verified with torch {versions(runs)} on {newest['device']}"
    )
    text += f", {newest['date']}"
    for reason, count in entry["skipped"].items():
        text += f" · {count} skipped: {reason}"
    if entry["failed"]:
        text += f" · {len(entry['failed'])} failing"
    failing_elsewhere = [record["torch"] for record, older in runs[1:] if older["failed"]]
    if failing_elsewhere:
        text += f" · failing on torch {', '.join(failing_elsewhere)}"
    return text


def versions(runs):
    """'2.15.0' for one run; '2.9.1 to 2.15.0 (7 releases)' for a matrix, newest run first."""
    if len(runs) == 1:
        return runs[0][0]["torch"]
    return f"{runs[-1][0]['torch']} to {runs[0][0]['torch']} ({len(runs)} releases)"


def compatibility(runs):
    rows = [
        "| torch | verified | skipped | failing |",
        "| --- | ---: | --- | --- |",
        *(f"| {record['torch']} | {cells(entry)} |" for record, entry in runs),
    ]
    table = "\n".join(f"    {row}" for row in rows)
    return f'??? info "Compatibility"\n{table}\n'


def cells(entry):
    skipped = ", ".join(f"{n}: {reason}" for reason, n in entry["skipped"].items()) or "none"
    failing = ", ".join(entry["failed"]) or "none"
    return f"{entry['passed']} | {skipped} | {failing}"


def home_table():
    if not records:
        return "No doctest run was recorded for this build: run `nox -s doctest`, then build."
    runs = "\n\n".join(
        f"Verified with torch {record['torch']} and torchvision {record['torchvision']}, "
        f"Python {record['python']}, on {record['device']} ({record['os']}), {record['date']}."
        for record in records
    )
    header = " | ".join(f"torch {record['torch']}" for record in records)
    rows = [f"| page | {header} |", "| --- |" + " --- |" * len(records)]
    for page in records[0]["pages"]:
        summaries = " | ".join(summarise(record["pages"].get(page)) for record in records)
        rows.append(f"| [{page}]({page}) | {summaries} |")
    return runs + "\n\n" + "\n".join(rows)


def summarise(entry):
    if entry is None:
        return "not run"
    text = f"{entry['passed']} verified"
    skipped = sum(entry["skipped"].values())
    text += f", {skipped} skipped" if skipped else ""
    text += f", {len(entry['failed'])} failing" if entry["failed"] else ""
    return text
