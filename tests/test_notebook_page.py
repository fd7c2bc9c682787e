"""The notebook pages as built: light, styled by the site, stderr as output, code indexed once."""

import json
import re
import subprocess
import sys
from html import escape, unescape
from pathlib import Path

import jupytext
import nbformat
import pytest
from test_layout import MKDOCS  # mkdocs.yml as its build reads it

ROOT = Path(__file__).parent.parent
DOCS = ROOT / "docs"
NOTEBOOKS = sorted(DOCS.rglob("*.ipynb"))
MAX_PAGE_BYTES = 300_000
# A text output as nbconvert writes it: the output's <div> tag, then its text in a <pre>; and
# the tag it gives stdout, which every stream output must have.
STDOUT_TAG = (
    '<div class="jp-RenderedText jp-OutputArea-output" data-mime-type="text/plain" tabindex="0">'
)
TEXT_OUTPUT = re.compile(r'(<div class="[^"]*jp-OutputArea-output[^>]*>)\s*<pre>(.*?)</pre>', re.S)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    return out


def built_page(site, notebook):
    """docs/examples/cifar10.ipynb -> the text of site/examples/cifar10/index.html."""
    return (site / notebook.relative_to(DOCS).with_suffix("") / "index.html").read_text()


def ids(notebook):
    return str(notebook.relative_to(DOCS))


def script_of(notebook):
    """The program a notebook page is made from: mkdocs-jupyter offers it beside the page."""
    plugin = next(p["mkdocs-jupyter"] for p in MKDOCS["plugins"] if "mkdocs-jupyter" in p)
    [script] = plugin["data_files"][notebook.relative_to(DOCS).as_posix()]
    return ROOT / script


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=ids)
def test_notebook_holds_its_script_and_nothing_else(notebook):
    """The page's cells are the script's cells; only their outputs come from a run."""
    script = script_of(notebook)

    def cells(document):
        return [(cell.cell_type, cell.source) for cell in document.cells]

    relative = notebook.relative_to(ROOT)
    assert cells(nbformat.read(notebook, as_version=4)) == cells(jupytext.read(script)), (
        f"{relative} is stale: on a GPU run `nox -s cifar10`; if only prose or comments "
        f"changed, `jupytext --update --to ipynb {script.relative_to(ROOT)} -o {relative}` "
        "keeps the outputs"
    )


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=ids)
def test_page_is_light_and_uses_the_site_stylesheet(site, notebook):
    page = built_page(site, notebook)
    assert len(page.encode()) < MAX_PAGE_BYTES
    assert "<style" not in page  # nbconvert's JupyterLab stylesheets, 600 KB of them, are gone
    up = "../" * len(notebook.relative_to(DOCS).with_suffix("").parts)
    assert f'href="{up}stylesheets/notebook.css"' in page
    assert "data:image/" not in page  # plots are files beside the page, not base64 text
    assert "clipboard-copy" not in page  # Material's copy button, not a second one with its source


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=ids)
def test_code_cells_are_the_sites_code_blocks(site, notebook):
    page = built_page(site, notebook)
    blocks = re.findall(r'<div class="language-[\w+-]+ highlight"><pre><span></span><code>', page)
    assert len(blocks) == len(code_sources(notebook))


def test_stderr_is_shown_as_normal_output(site):
    shown = 0
    for notebook in NOTEBOOKS:
        page = built_page(site, notebook)
        assert "application/vnd.jupyter.stderr" not in page
        tags = {first_line(text): tag for tag, text in TEXT_OUTPUT.findall(page)}
        for stream in streams(notebook):
            assert tags[first_line(stream.text)] == STDOUT_TAG, stream.name
            shown += stream.name == "stderr"
    assert shown > 0, "no notebook writes to stderr: nothing was checked"


def test_search_indexes_each_code_cell_once(site):
    index = json.loads((site / "search" / "search_index.json").read_text())
    for notebook in NOTEBOOKS:
        url = notebook.relative_to(DOCS).with_suffix("").as_posix() + "/"
        indexed = "\n".join(doc["text"] for doc in index["docs"] if doc["location"].startswith(url))
        sources = code_sources(notebook)
        for source in filter(None, sources):
            longest = max(source.splitlines(), key=len).strip()
            expected = "\n".join(sources).count(longest)  # as often as the code has it
            assert indexed.count(escape(longest, quote=False)) == expected, longest


def code_sources(notebook):
    cells = nbformat.read(notebook, as_version=4).cells
    return [cell.source for cell in cells if cell.cell_type == "code"]


def streams(notebook):
    """What the notebook's code printed, on stdout and stderr: its stream outputs."""
    cells = nbformat.read(notebook, as_version=4).cells
    return [out for cell in cells for out in cell.get("outputs", []) if out.output_type == "stream"]


def first_line(text):
    """An output's first line, without its ANSI colours or the markup nbconvert gives them."""
    text = unescape(re.sub(r"<[^>]+>", "", text))
    return re.sub(r"\x1b\[[\d;]*m", "", text).strip().split("\n")[0]
