"""The built site: offline, stamped with its versions, doctests copyable, math drawn."""

import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent

# A reference that makes the browser fetch a font, script or style from another host.
EXTERNAL_ASSET = re.compile(
    r"""<script[^>]*\ssrc=["']?(https?:)?//"""
    r"""|<link[^>]*\shref=["']?(https?:)?//"""
    r"""|@import\s+(url\()?["']?(https?:)?//"""
    r"""|url\(["']?(https?:)?//""",
    re.IGNORECASE,
)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    return out


def test_nothing_is_fetched_from_another_host(site):
    offenders = [
        f"{path.relative_to(site)}: {match.group(0)}"
        for path in site.rglob("*")
        if path.suffix in {".html", ".css", ".js"}
        for match in EXTERNAL_ASSET.finditer(path.read_text(errors="replace"))
    ]
    assert offenders == []


def test_home_page_names_the_installed_versions(site):
    home = (site / "index.html").read_text()
    assert f"torch {version('torch')}" in home
    assert f"torchvision\n{version('torchvision')}" in home or version("torchvision") in home
    assert "{{" not in home


def test_doctest_prompts_and_output_are_marked_for_copying(site):
    tensors = (site / "tensors" / "index.html").read_text()
    assert '<span class="gp">&gt;&gt;&gt; </span>' in tensors
    assert '<span class="go">tensor([[1, 2],</span>' in tensors


def test_math_is_rendered_at_build_time(site):
    tensors = (site / "tensors" / "index.html").read_text()
    assert "<math" in tensors
    assert "arithmatex" not in tensors
    assert "\\(" not in tensors
