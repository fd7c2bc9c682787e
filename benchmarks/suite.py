"""Time the doctest suite (serial and parallel) and the site build; print a Markdown table.

`nox -s bench` runs this; `nox -s bench -- --fresh` also times a clean install to green tests.
Goals on a 2-core machine: the whole doctest suite under 60 s, the site build under 15 s.
"""

import argparse
import os
import platform
import re
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).parent.parent
PYTEST = [sys.executable, "-m", "pytest", "docs", "-q", "--durations=10"]


def timed(command):
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"failed: {' '.join(command)}\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return time.perf_counter() - start, done.stdout


def examples_run(output):
    counts = re.search(r"(\d+) passed(?:, (\d+) skipped)?", output)
    return int(counts[1]), int(counts[2] or 0)


def slowest(output):
    """The `--durations` lines: '1.23s call docs/page.md::line:12,column:1'."""
    return re.findall(r"^([\d.]+)s call\s+(\S+)$", output, re.MULTILINE)[:10]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fresh", action="store_true", help="also time a clean `nox` install")
    args = parser.parse_args(argv)

    serial, output = timed(PYTEST)
    parallel, parallel_output = timed([*PYTEST, "-n", "auto", "--dist", "loadfile"])
    passed, skipped = examples_run(output)
    same = examples_run(parallel_output) == (passed, skipped)
    build, _ = timed([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", "build/bench"])

    rows = [
        (
            "machine",
            f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        ),
        ("date", date.today().isoformat()),
        ("examples run (passed + skipped)", f"{passed} + {skipped}"),
        ("doctest suite, serial", f"{serial:.1f} s ({passed / serial:.0f} examples/s)"),
        ("doctest suite, parallel (-n auto --dist loadfile)", f"{parallel:.1f} s"),
        ("parallel run: same passed and skipped counts", "yes" if same else "NO"),
        ("mkdocs build --strict", f"{build:.1f} s"),
    ]
    if args.fresh:
        command = ["nox", "--reuse-venv=no", "-s", "doctest(torch='latest')", "tests"]
        fresh, _ = timed(command)
        rows.append(("clean environments to green doctest + tests", f"{fresh:.0f} s"))
    print("| measure | value |\n| --- | --- |")
    print("\n".join(f"| {name} | {value} |" for name, value in rows))
    print("\nSlowest examples (serial run):\n\n| seconds | example |\n| ---: | --- |")
    print("\n".join(f"| {seconds} | `{example}` |" for seconds, example in slowest(output)))


if __name__ == "__main__":
    main()
