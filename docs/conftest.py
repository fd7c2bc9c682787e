"""Record what the doctest run verified in build/verified/torch-<version>.json, for the site.

Per page: how many ```python blocks passed, were skipped (and why) or failed (and where), and
each block's outcome under the hash of its source (hooks/fences.py), with the torch and
torchvision versions, Python, OS and device of the run. One file per torch
version, so a version matrix leaves one record each; hooks/verified.py reads them all.
"""

import datetime
import json
import platform
from collections import defaultdict
from importlib.metadata import version
from pathlib import Path

import torch
from fences import block_hash
from pages import DOCS, fences

RECORDS = DOCS.parent / "build" / "verified"

# {page: {fence start line: [outcome of each example in that block]}}
outcomes = defaultdict(lambda: defaultdict(list))


def pytest_runtest_logreport(report):
    if report.when == "call" or report.outcome != "passed":
        page, _, location = report.nodeid.partition("::")  # docs/x.md::line:12,column:1
        line = int(location.removeprefix("line:").split(",")[0])
        outcomes[page][line].append(outcome(report, line))


def outcome(report, line):
    if report.skipped:
        return "skipped: " + report.longrepr[2].removeprefix("Skipped: ")
    return f"failed: line {line}" if report.failed else "passed"


def blocks(page, example_lines):
    """Each ```python block that ran: its line, its source's hash and one outcome for it all."""
    text = (DOCS.parent / page).read_text()
    found = []
    for fence in fences(text):
        last_line = fence.line + text.count("\n", fence.start, fence.end)
        results = [
            result
            for line, line_results in example_lines.items()
            if fence.line <= line <= last_line
            for result in line_results
        ]
        if results:
            hash_ = block_hash(text, fence)
            found.append({"line": fence.line, "hash": hash_, "outcome": block_outcome(results)})
    return found


def block_outcome(results):
    """Failed if any of a block's examples failed, else skipped if any was, else passed."""
    failed = [result for result in results if result.startswith("failed")]
    skipped = [result for result in results if result.startswith("skipped")]
    return (failed or skipped or ["passed"])[0]


def summary(page_blocks):
    results = [block["outcome"] for block in page_blocks]
    skips = [r.removeprefix("skipped: ") for r in results if r.startswith("skipped")]
    return {
        "passed": results.count("passed"),
        "skipped": {reason: skips.count(reason) for reason in sorted(set(skips))},
        "failed": [r.removeprefix("failed: ") for r in results if r.startswith("failed")],
        "blocks": page_blocks,
    }


def environment():
    return {
        "torch": version("torch"),
        "torchvision": version("torchvision"),
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.machine()}",
        "device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "CPU",
        "date": datetime.date.today().isoformat(),
    }


def pytest_sessionfinish(session):
    if hasattr(session.config, "workerinput") or not outcomes:
        return  # an xdist worker: the controller sees every report and writes the record
    pages = {
        str(Path(page).relative_to("docs")): summary(blocks(page, lines))
        for page, lines in sorted(outcomes.items())
    }
    record = {**environment(), "pages": pages}
    RECORDS.mkdir(parents=True, exist_ok=True)
    path = RECORDS / f"torch-{record['torch']}.json"
    path.write_text(json.dumps(record, indent=2) + "\n")
