"""Mark every ```python block with what the doctest runs verified, read from their records.

Two folders of records, each written by docs/conftest.py (one file per run; per page, each block's
outcome under the hash of its source, hooks/fences.py):
- build/verified/: the runs of this build's machine or CI, on the CPU (build outputs);
- verified/: runs on a GPU that a maintainer committed (README says how).

The build puts under each block a quiet mark (verified, with the torch releases and devices it
passed on; skipped, with its reason; failing; or changed since the runs), a line under the page's
first paragraph that counts those marks, and a Compatibility box with one row per run; both are
kept out of the search index. A missing, stale or malformed record gets a line on the page and in
the build log, never a traceback. The Verification page's `{{ verified_table }}` becomes the table
of every page.
"""

import json
import logging
import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from fences import block_hash, fences

ROOT = Path(__file__).parent.parent
BUILD_RECORDS = Path(os.environ.get("VERIFIED_RECORDS", ROOT / "build" / "verified"))
COMMITTED_RECORDS = Path(os.environ.get("COMMITTED_RECORDS", ROOT / "verified"))
H1 = re.compile(r"^# .+\n", re.MULTILINE)
NO_SEARCH = "data-search-exclude"
log = logging.getLogger("mkdocs.hooks.verified")


@dataclass(frozen=True)
class Run:
    """One record: a doctest run on one torch release and device."""

    torch: str
    torchvision: str
    python: str
    device: str
    os: str
    date: str
    pages: dict
    committed: bool  # from verified/ (a GPU run), not from this build's own runs

    @property
    def on_gpu(self):
        return self.device != "CPU"


runs = []  # oldest torch first; read in on_config, so that `mkdocs serve` sees a new run
problems = []  # one line per record that could not be read


def on_config(config):
    global runs, problems
    found, problems = [], []
    for folder, committed in ((BUILD_RECORDS, False), (COMMITTED_RECORDS, True)):
        for path in sorted(folder.glob("*.json")):
            try:
                found.append(read_run(path, committed))
            except (OSError, ValueError, KeyError, TypeError) as error:
                problems.append(f"{path.name} could not be read ({error.__class__.__name__}: "
                                f"{error}); its blocks are shown as not verified")  # fmt: skip
                log.info("verified: %s: %s", path, problems[-1])
    runs = sorted(found, key=lambda run: (version_key(run.torch), run.on_gpu))


def read_run(path, committed):
    record = json.loads(path.read_text())
    fields = {name: str(record[name]) for name in ("torch", "torchvision", "python", "device")}
    run = Run(**fields, os=str(record["os"]), date=str(record["date"]), pages=record["pages"],
              committed=committed)  # fmt: skip
    for page, entry in run.pages.items():
        if not all({"hash", "outcome"} <= block.keys() for block in entry["blocks"]):
            raise ValueError(f"{page}: a block without its hash or outcome")
    return run


def version_key(version):
    return tuple(int(part) for part in re.findall(r"\d+", version.split("+")[0]))


def on_page_markdown(markdown, page, config, files):
    if "{{ verified_table }}" in markdown:
        return markdown.replace("{{ verified_table }}", verification_table(config))
    if "```python" not in markdown:
        return markdown
    page_runs = [run for run in runs if page.file.src_uri in run.pages]
    marked, marks = mark_blocks(markdown, page.file.src_uri, page_runs)
    return after_first_paragraph(marked, stamp(marks, page_runs, page.file.src_uri))


def mark_blocks(markdown, src_uri, page_runs):
    """The page with a mark under each ```python block, and the marks, in page order."""
    outcomes = [
        {block["hash"]: block["outcome"] for block in run.pages[src_uri]["blocks"]}
        for run in page_runs
    ]
    pieces, marks, offset = [], [], 0
    for fence in fences(markdown):
        if not fence.executed:
            continue
        digest = block_hash(markdown, fence)
        mark = block_mark(
            [(run, seen.get(digest)) for run, seen in zip(page_runs, outcomes, strict=True)]
        )
        marks.append(mark)
        pieces += [markdown[offset : fence.end], paragraph(mark.text, mark.css, fence.indent)]
        offset = fence.end
    return "".join(pieces) + markdown[offset:], marks


@dataclass(frozen=True)
class Mark:
    kind: str  # passed, skipped, failed or unverified
    text: str
    gpu: bool  # passed on a GPU
    reason: str = ""  # why it was skipped

    @property
    def css(self):
        return f"block-mark block-mark--{self.kind}"


def block_mark(outcomes):
    """What the runs say of one block: [(run, its outcome, or None if it changed since)]."""
    passed = [run for run, outcome in outcomes if outcome == "passed"]
    failed = [run for run, outcome in outcomes if outcome and outcome.startswith("failed")]
    skipped = [outcome.removeprefix("skipped: ") for _, outcome in outcomes
               if outcome and outcome.startswith("skipped")]  # fmt: skip
    gpu_passes = [run for run in passed if run.on_gpu]
    if failed:
        return Mark("failed", f"✗ Failing: {on(failed)}.", bool(gpu_passes))
    if passed:
        return Mark("passed", f"✓ Verified: {on(passed)}.", bool(gpu_passes))
    if skipped:
        reason = Counter(skipped).most_common(1)[0][0]
        return Mark("skipped", f"Not run: {reason}{gpu_note(outcomes, reason)}.", False, reason)
    if not outcomes:
        return Mark("unverified", "Not verified: no doctest run recorded this page.", False)
    return Mark("unverified", "Not verified: changed since the last doctest run.", False)


def gpu_note(outcomes, reason):
    """For a block that needs a GPU: whether a committed GPU run saw it, or it changed since."""
    if not needs_gpu(reason):
        return ""
    gpu_outcomes = [outcome for run, outcome in outcomes if run.on_gpu]
    if None in gpu_outcomes:
        return " (changed since its last run on a GPU, and not run on one since)"
    return "" if gpu_outcomes else " (no GPU run is recorded yet)"


def needs_gpu(reason):
    return "GPU" in reason or "CUDA" in reason


def on(passed_runs):
    """'torch 2.9.1 to 2.15.0 on CPU; NVIDIA H100 with torch 2.11.0, 2026-01-05'."""
    cpu = [run.torch for run in passed_runs if not run.on_gpu]
    parts = [f"torch {releases(cpu)} on CPU"] if cpu else []
    parts += [
        f"{run.device} with torch {run.torch}, {run.date}" for run in passed_runs if run.on_gpu
    ]
    return "; ".join(parts)


def releases(versions):
    """Consecutive releases of the CPU runs as ranges: '2.9.1, 2.11.0 to 2.15.0'."""
    every = [run.torch for run in runs if not run.on_gpu]
    groups, previous = [], None
    for version in versions:
        index = every.index(version)
        if previous is not None and index == previous + 1:
            groups[-1][1] = version
        else:
            groups.append([version, version])
        previous = index
    return ", ".join(first if first == last else f"{first} to {last}" for first, last in groups)


def paragraph(text, css, indent):
    classes = " ".join(f".{name}" for name in css.split())
    return f"\n{indent}{text}\n{indent}{{: {classes} {NO_SEARCH} }}\n\n"


def stamp(marks, page_runs, src_uri):
    """The page's line counting its blocks' marks, its Compatibility box, and any problem."""
    kinds = Counter(mark.kind for mark in marks)
    newest_cpu = next((run for run in reversed(page_runs) if not run.on_gpu), None)
    parts = [f"✓ {kinds['passed']} of {len(marks)} blocks verified"]
    if newest_cpu:
        cpu_runs = [run.torch for run in page_runs if not run.on_gpu]
        parts[0] += f" with torch {releases(cpu_runs)} on CPU, {newest_cpu.date}"
    gpu_count = sum(mark.gpu for mark in marks)
    if gpu_count or any(needs_gpu(mark.reason) for mark in marks):
        gpus = sorted({run.device for run in page_runs if run.on_gpu})
        parts.append(f"{gpu_count} ran on a GPU" + (f" ({', '.join(gpus)})" if gpus else ""))
    reasons = Counter(mark.reason for mark in marks if mark.kind == "skipped")
    parts += [f"{count} not run: {reason}" for reason, count in sorted(reasons.items())]
    parts += [f"{kinds['failed']} failing"] if kinds["failed"] else []
    parts += [f"{kinds['unverified']} not verified"] if kinds["unverified"] else []
    lines = [paragraph(" · ".join(parts), "verified", "")]
    if not page_runs:
        lines.append(paragraph("No doctest run recorded this page: run `nox -s doctest`, then "
                               "build.", "verified", ""))  # fmt: skip
    lines += [paragraph(f"Record problem: {problem}.", "verified", "") for problem in problems]
    return "".join(lines) + (compatibility(page_runs, src_uri) if page_runs else "")


def compatibility(page_runs, src_uri):
    rows = [
        "| torch | device | date | verified | skipped | failing |",
        "| --- | --- | --- | ---: | --- | --- |",
        *(
            f"| {run.torch} | {run.device} | {run.date} | {cells(run.pages[src_uri])} |"
            for run in page_runs
        ),
    ]
    table = "\n".join(f"    {row}" for row in rows)
    return f'<div {NO_SEARCH} markdown>\n\n??? info "Compatibility"\n{table}\n\n</div>\n\n'


def cells(entry):
    skipped = ", ".join(f"{n}: {reason}" for reason, n in entry["skipped"].items()) or "none"
    failing = ", ".join(entry["failed"]) or "none"
    return f"{entry['passed']} | {skipped} | {failing}"


def after_first_paragraph(markdown, text):
    """Insert text after the first paragraph under the H1 (or after the H1, if none)."""
    h1 = H1.search(markdown)
    if h1 is None:
        return text + markdown
    rest = markdown[h1.end() :]
    body = rest.lstrip("\n")
    first = re.match(r"(?:[^\n]+\n)+", body)
    if first is None or body.startswith(("```", "<!--")):
        return markdown[: h1.end()] + "\n" + text + rest
    cut = h1.end() + (len(rest) - len(body)) + first.end()
    return markdown[:cut] + "\n" + text + markdown[cut:]


def verification_table(config):
    """Every page's marks per run, titled by the page's title in the nav."""
    if not runs:
        return "No doctest run was recorded for this build: run `nox -s doctest`, then build."
    described = "\n".join(
        f"- torch {run.torch} and torchvision {run.torchvision}, Python {run.python}, on "
        f"{run.device} ({run.os}), {run.date}{' (committed GPU record)' if run.committed else ''}"
        for run in reversed(runs)
    )
    header = " | ".join(f"torch {run.torch}, {run.device}" for run in reversed(runs))
    rows = [f"| page | {header} |", "| --- |" + " --- |" * len(runs)]
    for src_uri, title in nav_titles(config["nav"]):
        if any(src_uri in run.pages for run in runs):
            summaries = " | ".join(summarise(run.pages.get(src_uri)) for run in reversed(runs))
            rows.append(f"| [{title}](../{src_uri}) | {summaries} |")
    return described + "\n\n" + "\n".join(rows)


def nav_titles(nav, section=None):
    """(page, title) in nav order; a section's index page is titled by its section."""
    for item in nav:
        if isinstance(item, str):
            yield item, section
            continue
        for title, value in item.items():
            if isinstance(value, list):
                yield from nav_titles(value, title)
            else:
                yield value, title


def summarise(entry):
    if entry is None:
        return "not run"
    outcomes = Counter(block["outcome"].split(":")[0] for block in entry["blocks"])
    text = f"{outcomes['passed']} verified"
    text += f", {outcomes['skipped']} skipped" if outcomes["skipped"] else ""
    text += f", {outcomes['failed']} failing" if outcomes["failed"] else ""
    return text
