"""The built site: offline, stamped with its versions, doctests copyable, math drawn."""

import json
import os
import re
import subprocess
import sys
from html import unescape
from pathlib import Path
from urllib.parse import urlsplit

import errors  # hooks/errors.py
import nbformat
import pytest
from fences import block_hash, fences  # hooks/fences.py
from nbclient import NotebookClient

ROOT = Path(__file__).parent.parent

# A reference that makes the browser fetch a font, script or style from another host.
EXTERNAL_ASSET = re.compile(
    r"""<script[^>]*\ssrc=["']?(https?:)?//"""
    r"""|<link(?![^>]*rel="canonical")[^>]*\shref=["']?(https?:)?//"""  # canonical: no fetch
    r"""|@import\s+(url\()?["']?(https?:)?//"""
    r"""|url\(["']?(https?:)?//"""
    r"""|\bimport\(\s*["'](https?:)?//""",
    re.IGNORECASE,
)


TENSORS = ROOT / "docs" / "basics" / "tensors.md"
CUDA = "skipped: needs a CUDA GPU"


def record(torch, device, outcomes, stale=()):
    """A made-up record of basics/tensors.md: {block index: outcome}, the other blocks passed.

    Blocks whose index is in `stale` are recorded under another hash: changed since that run.
    """
    text = TENSORS.read_text()
    blocks = [
        {
            "line": fence.line,
            "hash": "0" * 16 if index in stale else block_hash(text, fence),
            "outcome": outcomes.get(index, "passed"),
        }
        for index, fence in enumerate(f for f in fences(text) if f.executed)
    ]
    results = [block["outcome"] for block in blocks]
    entry = {
        "passed": results.count("passed"),
        "skipped": {"needs a CUDA GPU": results.count(CUDA)} if CUDA in results else {},
        "failed": [r.removeprefix("failed: ") for r in results if r.startswith("failed")],
        "blocks": blocks,
    }
    environment = {"torchvision": "0.99.0", "python": "3.99.0", "os": "Linux x86_64"}
    return {"torch": torch, "device": device, "date": "2099-01-01", **environment,
            "pages": {"basics/tensors.md": entry}}  # fmt: skip


# Two CPU releases of the matrix, each failing a different block, and a committed GPU run that
# verified block 2 (a CUDA block, skipped on the CPU) and saw block 5 before it changed.
RECORDS = {
    "torch-2.99.0.json": record("2.99.0", "CPU", {1: "failed: line 9", 2: CUDA, 5: CUDA}),
    "torch-2.98.0.json": record("2.98.0", "CPU", {3: "failed: line 12", 2: CUDA, 5: CUDA}),
}
GPU_RECORDS = {
    "gpu-torch-2.99.0.json": record("2.99.0", "NVIDIA H100", {}, stale={5}),
    "broken.json": {"torch": "2.99.0"},  # a malformed record: no device, no pages
}


SITE_URL = "https://owner.github.io/name/"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site built with made-up doctest records, so that its marks are known."""
    out = tmp_path_factory.mktemp("site")
    folders = {"VERIFIED_RECORDS": RECORDS, "COMMITTED_RECORDS": GPU_RECORDS}
    env = {**os.environ, "GITHUB_REPOSITORY": "owner/name", "SITE_URL": SITE_URL}  # as on GitHub
    for variable, records in folders.items():
        env[variable] = str(tmp_path_factory.mktemp(variable.lower()))
        for name, content in records.items():
            (Path(env[variable]) / name).write_text(json.dumps(content))
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)]
    build = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env)
    assert build.returncode == 0, build.stderr
    (out / "build.log").write_text(build.stderr)
    return out


def test_nothing_is_fetched_from_another_host(site):
    offenders = [
        f"{path.relative_to(site)}: {match.group(0)}"
        for path in site.rglob("*")
        if path.suffix in {".html", ".css", ".js"}
        for match in EXTERNAL_ASSET.finditer(path.read_text(errors="replace"))
    ]
    assert offenders == []


def test_notebook_page_opens_in_colab(site):
    page = (site / "examples" / "cifar10" / "index.html").read_text()
    colab = "https://colab.research.google.com/github/owner/name/blob/main/"
    assert f'<a href="{colab}docs/examples/cifar10.ipynb">Open in Colab</a>' in page


def marks(html):
    return [unescape(m) for m in re.findall(r'<p class="block-mark[^"]*"[^>]*>(.*?)</p>', html)]


def test_every_block_is_marked_with_its_runs(site):
    tensors = (site / "basics" / "tensors" / "index.html").read_text()
    shown = marks(tensors)
    assert len(shown) == len([f for f in fences(TENSORS.read_text()) if f.executed])
    gpu_run = "NVIDIA H100 with torch 2.99.0, 2099-01-01"
    assert shown[0] == f"✓ Verified: torch 2.98.0 to 2.99.0 on CPU; {gpu_run}."
    assert (shown[1], shown[3]) == (
        "✗ Failing: torch 2.99.0 on CPU.",
        "✗ Failing: torch 2.98.0 on CPU.",
    )
    assert shown[2] == f"✓ Verified: {gpu_run}."
    assert shown[5] == (
        "Not run: needs a CUDA GPU (changed since its last run on a GPU, and not run on one since)."
    )


def test_page_line_counts_the_marks_below_the_first_paragraph(site):
    tensors = (site / "basics" / "tensors" / "index.html").read_text()
    total = len(marks(tensors))
    line = (
        f"✓ {total - 3} of {total} blocks verified with torch 2.98.0 to 2.99.0 on CPU, 2099-01-01"
    )
    gpu = f"{total - 1} ran on a GPU (NVIDIA H100)"  # all but the block changed since its run
    assert f"{line} · {gpu} · 1 not run: needs a CUDA GPU · 2 failing" in tensors
    first_paragraph = tensors.index("</h1>") < tensors.index("<p>") < tensors.index(line)
    assert first_paragraph
    for cell in ("2.99.0", "NVIDIA H100", "line 9", "2.98.0", "line 12"):  # Compatibility
        assert f"<td>{cell}</td>" in tensors
    unrecorded = (site / "basics" / "autograd" / "index.html").read_text()
    assert "No doctest run recorded this page" in unrecorded
    assert "Not verified: no doctest run recorded this page." in marks(unrecorded)


def test_a_malformed_record_is_a_line_on_the_page_and_in_the_log(site):
    tensors = unescape((site / "basics" / "tensors" / "index.html").read_text())
    assert "Record problem: broken.json could not be read (KeyError: 'torchvision')" in tensors
    assert "broken.json" in (site / "build.log").read_text()


def test_marks_and_stamps_stay_out_of_the_search_index(site):
    index = json.loads((site / "search" / "search_index.json").read_text())
    text = " ".join(doc["text"] for doc in index["docs"])
    assert "blocks verified" not in text and "Verified: torch" not in text
    assert "Download this page as a notebook" not in text
    assert "Compatibility" not in text


def test_home_lists_every_page_and_the_record_has_its_own_page(site):
    home = (site / "index.html").read_text()
    assert '<a href="basics/tensors/">Tensors</a>' in home
    assert '<a href="reference/verification/">Verification record</a>' in home
    record = (site / "reference" / "verification" / "index.html").read_text()
    assert "torch 2.99.0 and torchvision 0.99.0, Python 3.99.0" in record
    assert "<th>torch 2.99.0, NVIDIA H100</th>" in record
    assert '<a href="../../basics/tensors/">Tensors</a>' in record
    assert "{{" not in home + record


def test_doctest_prompts_and_output_are_marked_for_copying(site):
    tensors = (site / "basics" / "tensors" / "index.html").read_text()
    assert '<span class="gp">&gt;&gt;&gt; </span>' in tensors
    assert '<span class="go"><span class="go">tensor([[1, 2],</span>\n</span>' in tensors
    assert '<span class="go"><span class="gt">Traceback (most recent call last):' in tensors


def test_math_is_rendered_at_build_time(site):
    tensors = (site / "basics" / "tensors" / "index.html").read_text()
    assert "<math" in tensors
    assert "arithmatex" not in tensors
    assert "\\(" not in tensors


def test_every_internal_link_resolves(site):
    broken = []
    for page in site.rglob("*.html"):
        for target in re.findall(r'(?:href|src)="([^"#?]*)', page.read_text()):
            if not target or re.match(r"^[a-z]+:", target):
                continue  # a same-page anchor, or another scheme (https:, data:, mailto:)
            if target.startswith("/"):  # 404.html links from the published root, /name/
                resolved = site / target.removeprefix(urlsplit(SITE_URL).path)
            else:
                resolved = (page.parent / target).resolve()
            if not (resolved.is_file() or (resolved / "index.html").is_file()):
                broken.append(f"{page.relative_to(site)} -> {target}")
    assert broken == []


def test_every_page_with_snippets_has_a_notebook_that_runs(site):
    docs = ROOT / "docs"
    pages = [p.relative_to(docs) for p in docs.rglob("*.md") if "```python" in p.read_text()]
    notebooks = [p.relative_to(site / "notebooks") for p in site.glob("notebooks/**/*.ipynb")]
    assert sorted(notebooks) == sorted(p.with_suffix(".ipynb") for p in pages)
    tensors = (site / "basics" / "tensors" / "index.html").read_text()
    assert 'href="../../notebooks/basics/tensors.ipynb" download' in tensors
    notebook = nbformat.read(site / "notebooks" / "basics" / "tensors.ipynb", as_version=4)
    NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    outputs = [o for cell in notebook.cells for o in cell.get("outputs", [])]
    assert any("tensor([[1, 2]," in o.get("data", {}).get("text/plain", "") for o in outputs)


def test_errors_page_lists_every_traceback_on_the_site(site):
    """The build writes the Errors index: one row per message a page's doctest raises."""
    docs = ROOT / "docs"
    expected = {
        error.message
        for page in docs.rglob("*.md")
        for error in errors.shown_errors(page.relative_to(docs).as_posix(), page.read_text())
    }
    built = unescape((site / "reference" / "errors" / "index.html").read_text())
    rows = re.findall(r"<tr>\s*<td><code>(.*?)</code></td>", built, re.S)
    # A message can be a row twice: tabs for two releases that raise it as different types.
    assert sorted(set(rows)) == sorted(expected)
    assert len(expected) >= 70


def test_pages_are_published_with_their_address_neighbours_and_source(site):
    tensors = (site / "basics" / "tensors" / "index.html").read_text()
    assert f'<link rel="canonical" href="{SITE_URL}basics/tensors/">' in tensors
    assert f"<loc>{SITE_URL}basics/tensors/</loc>" in (site / "sitemap.xml").read_text()
    assert "md-footer__link--prev" in tensors and "md-footer__link--next" in tensors
    source = "https://github.com/owner/name/blob/main/docs/basics/tensors.md"
    assert f'<a href="{source}">Source of this page</a>' in tensors


def test_the_404_page_works_at_any_depth_and_shows_the_ways_on(site):
    missing = (site / "404.html").read_text()
    assert "Page not found" in missing
    assert 'href="/name/assets/stylesheets/' in missing  # absolute: served for any address
    assert 'href="/name/reference/errors/"' in missing
