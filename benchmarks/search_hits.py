"""Print how many of the readers' queries find their section in the site's first search results.

Replays tests/browser/search_queries.py's queries through Material's own search worker in node
(benchmarks/search_worker.mjs) against a built site's search index, which takes seconds where
the browser test takes minutes. `nox -s bench` runs it on a fresh build; `--site DIR` measures
a site already built (`mkdocs build -d DIR`), say one built before a change, to compare.
Needs node on the PATH.
"""

import argparse
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).parent.parent
WORKER = ROOT / "benchmarks" / "search_worker.mjs"
sys.path.insert(0, str(ROOT / "tests" / "browser"))
from search_queries import (  # noqa: E402  (a test's data, found by path)
    ERRORS,
    KNOWN_MISSES,
    PASTED_ERRORS,
    READER_QUERIES,
    SHOWN,
)


@dataclass(frozen=True)
class Outcome:
    query: str
    section: str  # the section that answers it: "basics/tensors/#reorder-dimensions"
    shown: tuple[str, ...]  # the first SHOWN results

    @property
    def lands(self):
        return self.section in self.shown


def shown_results(site, queries):
    """For each query, the result links a reader sees, best first."""
    done = subprocess.run(
        ["node", str(WORKER), str(site)],
        input=json.dumps(queries),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def outcomes(site, pairs):
    results = shown_results(site, [query for query, _ in pairs])
    return [Outcome(q, s, tuple(r[:SHOWN])) for (q, s), r in zip(pairs, results, strict=True)]


def build(site):
    command = [sys.executable, "-m", "mkdocs", "build", "--site-dir", str(site)]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)


def report(label, results):
    hits = sum(outcome.lands for outcome in results)
    print(
        f"{label}: {hits} of {len(results)} land in the first {SHOWN} ({hits / len(results):.0%})"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--site", type=Path, help="a built site (default: build one)")
    parser.add_argument("--misses", action="store_true", help="list each miss and what it shows")
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        site = options.site or Path(tmp)
        if not options.site:
            build(site)
        readers = outcomes(site, READER_QUERIES)
        pasted = outcomes(site, [(m, ERRORS + anchor) for m, anchor in PASTED_ERRORS])
    report("reader queries", readers)
    report("pasted errors", pasted)
    misses = [outcome for outcome in readers + pasted if not outcome.lands]
    unexpected = [o.query for o in misses if o.query not in KNOWN_MISSES]
    fixed = sorted(set(KNOWN_MISSES) - {o.query for o in misses})
    print(f"known misses: {len(KNOWN_MISSES)}; missing but not listed: {unexpected or 'none'}")
    print(f"listed as misses but landing: {fixed or 'none'}")
    if options.misses:
        for outcome in misses:
            print(f"- {outcome.query!r} wants {outcome.section}, shows {list(outcome.shown)}")


if __name__ == "__main__":
    main()
