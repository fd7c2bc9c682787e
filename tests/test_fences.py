"""The fence guard: every block that looks like Python on a page is executed by Sybil."""

from collections import Counter

import pytest
from pages import DOCS, PAGES, fences, parse


def unexecuted_python(text):
    """Python-looking fences that Sybil would skip silently and no `not-run` comment explains."""
    return [
        f"line {f.line}: ```{f.info}"
        for f in fences(text)
        if f.python_looking and not f.executed and not f.not_run_reason
    ]


def half_skipped_doctests(text):
    """Doctest blocks after `skip: next`: Sybil would skip their first `>>>` example only."""
    return [
        f"line {f.line}: use `skip: start` ... `skip: end` around this block"
        for f in fences(text)
        if f.preceded_by.startswith("<!-- skip: next")
        and sum(line.lstrip().startswith(">>>") for line in text[f.start : f.end].splitlines()) > 1
    ]


def fences_with_examples(page):
    """The ```python fences of a page that contain at least one example Sybil collected."""
    document = parse(page)
    starts = [region.start for _, region in document.regions]
    return [f for f in fences(document.text) if any(f.start <= s < f.end for s in starts)]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(DOCS)))
def test_every_python_fence_is_executed(page):
    assert unexecuted_python(page.read_text()) == []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(DOCS)))
def test_skip_next_covers_the_whole_block(page):
    assert half_skipped_doctests(page.read_text()) == []


def test_guard_catches_a_doctest_block_that_skip_next_only_half_skips():
    page = '# Page\n\n<!-- skip: next "needs CUDA" -->\n```python\n>>> a = 1\n>>> a\n1\n```\n'
    assert half_skipped_doctests(page) == [
        "line 4: use `skip: start` ... `skip: end` around this block"
    ]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(DOCS)))
def test_sybil_collects_every_python_fence(page):
    python_fences = [f for f in fences(page.read_text()) if f.executed]
    assert fences_with_examples(page) == python_fences


@pytest.mark.parametrize("info", ["py", " python", 'python title="x.py"', "pycon", "python3"])
def test_guard_catches_fences_sybil_would_skip(info):
    page = f"# Page\n\n```{info}\n>>> 1 + 1\n2\n```\n"
    assert unexecuted_python(page) == [f"line 3: ```{info}"]


def test_guard_accepts_a_fence_marked_not_run():
    page = "# Page\n\n<!-- not-run: a sketch that needs a display -->\n```py\nshow()\n```\n"
    assert unexecuted_python(page) == []


def test_totals(capsys):
    totals = Counter()
    for page in PAGES:
        for fence in fences(page.read_text()):
            totals[fence.info.strip() or "(none)"] += 1
    with capsys.disabled():
        languages = ", ".join(f"{info}: {n}" for info, n in sorted(totals.items()))
        print(f"\nfences in {len(PAGES)} pages: {languages}")
    assert totals["python"] > 0
