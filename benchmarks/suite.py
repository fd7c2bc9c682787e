"""Time the doctest suite (serial and parallel) and the site build; print a Markdown table.

`nox -s bench` runs this. `-- --matrix` also runs the version matrix (`nox -s matrix`) with its
environments reused and reports each torch release's pytest and session time; `-- --fresh` runs
it from nothing: new environments and an empty uv cache, so every wheel is downloaded again;
`-- --browser` times the browser session (`nox -s browser`).
Goals on a 2-core machine: the doctest suite under 30 s of pytest time per torch release, the
site build under 15 s, the browser session under 5 minutes.
"""

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
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


def pytest_seconds(output):
    """pytest's own time, the budget's measure: '4551 passed, 126 skipped in 20.50s'."""
    return float(re.search(r" in ([\d.]+)s", output)[1])


def examples_run(output):
    counts = re.search(r"(\d+) passed(?:, (\d+) skipped)?", output)
    return int(counts[1]), int(counts[2] or 0)


def slowest(output):
    """The `--durations` lines: '1.23s call docs/page.md::line:12,column:1'."""
    return re.findall(r"^([\d.]+)s call\s+(\S+)$", output, re.MULTILINE)[:10]


def matrix_sessions():
    """The sessions of the version matrix, oldest torch first: "matrix(torch='2.9')", ..."""
    listing = subprocess.run(["nox", "-l", "--json"], cwd=ROOT, capture_output=True, text=True)
    names = [session["session"] for session in json.loads(listing.stdout)]
    return [name for name in names if name.startswith("matrix(")]


def run_session(name, fresh, cache):
    """(seconds, pytest's own seconds, passed, skipped) of one nox session."""
    command, env = ["nox", "-s", name], dict(os.environ)
    if fresh:  # new environments, and wheels downloaded into an empty uv cache
        command.append("--reuse-venv=no")
        env["UV_CACHE_DIR"] = cache
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"failed: {' '.join(command)}\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    counts = re.search(r"(\d+) passed(?:, (\d+) skipped)?.* in ([\d.]+)s", done.stdout)
    return seconds, float(counts[3]), int(counts[1]), int(counts[2] or 0)


def print_browser():
    seconds, pytest_seconds, passed, _ = run_session("browser", fresh=False, cache=None)
    print("\nBrowser session, environment reused:\n")
    print("| session | pytest time | tests passed | session time |\n| --- | ---: | ---: | ---: |")
    print(f"| `browser` | {pytest_seconds:.0f} s | {passed} | {seconds:.0f} s |")


def print_matrix(label, fresh):
    print(f"\n{label}:\n")
    print("| session | pytest time | examples (passed + skipped) | session time |")
    print("| --- | ---: | --- | ---: |")
    total = 0
    with tempfile.TemporaryDirectory() as cache:
        for name in matrix_sessions():
            seconds, pytest_seconds, passed, skipped = run_session(name, fresh, cache)
            total += seconds
            print(f"| `{name}` | {pytest_seconds:.1f} s | {passed} + {skipped} | {seconds:.0f} s |")
    print(f"| all | | | {total:.0f} s |")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--matrix", action="store_true", help="also time `nox -s matrix`")
    parser.add_argument(
        "--fresh", action="store_true", help="also time `nox -s matrix` from an empty uv cache"
    )
    parser.add_argument("--browser", action="store_true", help="also time `nox -s browser`")
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
        ("doctest suite, serial: pytest time", f"{pytest_seconds(output):.1f} s"),
        ("doctest suite, serial: wall time", f"{serial:.1f} s ({passed / serial:.0f} examples/s)"),
        (
            "doctest suite, parallel (-n auto --dist loadfile): pytest time",
            f"{pytest_seconds(parallel_output):.1f} s",
        ),
        ("doctest suite, parallel: wall time", f"{parallel:.1f} s"),
        ("parallel run: same passed and skipped counts", "yes" if same else "NO"),
        ("mkdocs build --strict", f"{build:.1f} s"),
    ]
    print("| measure | value |\n| --- | --- |")
    print("\n".join(f"| {name} | {value} |" for name, value in rows))
    print("\nSlowest examples (serial run):\n\n| seconds | example |\n| ---: | --- |")
    print("\n".join(f"| {seconds} | `{example}` |" for seconds, example in slowest(output)))
    if args.matrix:
        print_matrix("Version matrix, environments reused", fresh=False)
    if args.fresh:
        print_matrix("Version matrix from nothing (empty uv cache)", fresh=True)
    if args.browser:
        print_browser()


if __name__ == "__main__":
    main()
