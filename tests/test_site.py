"""The built site: offline, stamped with its versions, doctests copyable, math drawn."""

import json
import os
import re
import subprocess
import sys
from html import unescape
from pathlib import Path

import errors  # hooks/errors.py
import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).parent.parent

# A reference that makes the browser fetch a font, script or style from another host.
EXTERNAL_ASSET = re.compile(
    r"""<script[^>]*\ssrc=["']?(https?:)?//"""
    r"""|<link[^>]*\shref=["']?(https?:)?//"""
    r"""|@import\s+(url\()?["']?(https?:)?//"""
    r"""|url\(["']?(https?:)?//"""
    r"""|\bimport\(\s*["'](https?:)?//""",
    re.IGNORECASE,
)


RECORD = {  # build/verified/torch-2.99.0.json
    "torch": "2.99.0",
    "torchvision": "0.99.0",
    "python": "3.99.0",
    "os": "Linux x86_64",
    "device": "CPU",
    "date": "2099-01-01",
    "pages": {
        "basics/tensors.md": {"passed": 29, "skipped": {"needs CUDA": 2}, "failed": ["line 9"]}
    },
}
# An older release of the matrix, on which another block fails.
OLDER_RECORD = {
    **RECORD,
    "torch": "2.98.0",
    "pages": {"basics/tensors.md": {"passed": 30, "skipped": {}, "failed": ["line 12"]}},
}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site built with a made-up doctest record, so that its stamps are known."""
    out = tmp_path_factory.mktemp("site")
    records = tmp_path_factory.mktemp("verified")
    for record in (RECORD, OLDER_RECORD):
        (records / f"torch-{record['torch']}.json").write_text(json.dumps(record))
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)]
    # A GitHub Actions build names its repository; the CIFAR-10 page then links to Colab.
    env = {**os.environ, "VERIFIED_RECORDS": str(records), "GITHUB_REPOSITORY": "owner/name"}
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True, env=env)
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


def test_pages_are_stamped_from_the_doctest_record(site):
    tensors = (site / "basics" / "tensors" / "index.html").read_text()
    stamp = "29 snippets verified with torch 2.98.0 to 2.99.0 (2 releases) on CPU, 2099-01-01"
    assert stamp + " · 2 skipped: needs CUDA · 1 failing · failing on torch 2.98.0" in tensors
    for cell in ("2.99.0", "line 9", "2.98.0", "line 12"):  # the compatibility table, per release
        assert f"<td>{cell}</td>" in tensors
    unrecorded = (site / "basics" / "autograd" / "index.html").read_text()
    assert "Not verified for this build" in unrecorded


def test_home_page_shows_the_whole_record(site):
    home = (site / "index.html").read_text()
    assert "Verified with torch 2.99.0 and torchvision 0.99.0, Python 3.99.0" in home
    assert "<th>torch 2.99.0</th>" in home and "<th>torch 2.98.0</th>" in home
    assert '<a href="basics/tensors/">basics/tensors.md</a>' in home
    assert "{{" not in home


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
            base = site if target.startswith("/") else page.parent  # 404.html links from the root
            resolved = (base / target.lstrip("/")).resolve()
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
