"""Record what the doctest run verified in build/verified/torch-<version>.json, for the site.

Per page: how many ```python blocks passed, were skipped (and why) or failed (and where), with
the torch and torchvision versions, Python, OS and device of the run. One file per torch
version, so a version matrix leaves one record each; hooks/verified.py reads them all.
"""

import datetime
import json
import platform
from collections import defaultdict
from importlib.metadata import version
from pathlib import Path

import torch
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


def block_outcomes(page, example_lines):
    """One outcome per ```python block: failed if any example failed, else skipped if any was."""
    text = (DOCS.parent / page).read_text()
    per_block = defaultdict(list)
    for fence in fences(text):
        last_line = fence.line + text.count("\n", fence.start, fence.end)
        for line, results in example_lines.items():
            if fence.line <= line <= last_line:
                per_block[fence.line] += results
    return [
        next((r for r in results if r.startswith("failed")), None)
        or next((r for r in results if r.startswith("skipped")), "passed")
        for results in per_block.values()
    ]


def summary(results):
    skips = [r.removeprefix("skipped: ") for r in results if r.startswith("skipped")]
    return {
        "passed": results.count("passed"),
        "skipped": {reason: skips.count(reason) for reason in sorted(set(skips))},
        "failed": [r.removeprefix("failed: ") for r in results if r.startswith("failed")],
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
        str(Path(page).relative_to("docs")): summary(block_outcomes(page, lines))
        for page, lines in sorted(outcomes.items())
    }
    record = {**environment(), "pages": pages}
    RECORDS.mkdir(parents=True, exist_ok=True)
    path = RECORDS / f"torch-{record['torch']}.json"
    path.write_text(json.dumps(record, indent=2) + "\n")
