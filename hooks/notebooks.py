"""Offer each page with snippets as a notebook, site/notebooks/<section>/<page>.ipynb, linked under
its title;
and under a notebook page's title, a link that opens it in Colab.

jupytext reads a page into markdown and code cells. A doctest cell becomes plain code: its `>>>`
sources without prompts or expected output. An example that shows an error on purpose gets a
cell of its own tagged `raises-exception`, so Jupyter shows the error and runs on. A block the
doctest run skips (it needs CUDA, or downloads) stays on as markdown, with the reason. A first
cell makes IPython show every expression's value, as the page's doctests do.
"""

import doctest
import logging
import os
import re
import subprocess
from pathlib import Path

import jupytext
import nbformat

SKIP = re.compile(r"<!-- skip: .*?(?:reason=)?\"(?P<reason>[^\"]*)\".*?-->\s*$", re.DOTALL)
DOCTEST_PARSER = doctest.DocTestParser()
SHOW_EVERY_RESULT = '%config InteractiveShell.ast_node_interactivity = "all"'
PUBLISHED_BRANCH = "main"  # Colab opens the notebook as committed on this branch
log = logging.getLogger("mkdocs.hooks.notebooks")


def on_page_markdown(markdown, page, config, files):
    if "```python" not in markdown:
        return markdown
    href = "../" * page.url.count("/") + notebook_path(page.file.src_uri)
    link = f'<a href="{href}" download>Download this page as a notebook</a>'
    link += "\n{: .download data-search-exclude }"
    return re.sub(r"^# .+$", lambda h1: f"{h1.group(0)}\n\n{link}", markdown, count=1, flags=re.M)


def on_page_content(html, page, config, files):
    """Under a notebook page's title, "Open in Colab": Colab reads the notebook from GitHub."""
    if not page.file.src_uri.endswith(".ipynb"):
        return html
    repository = github_repository()
    if repository is None:
        log.info("%s: no Colab link, since the GitHub repository is unknown (set "
                 "GITHUB_REPOSITORY=owner/name)", page.file.src_uri)  # fmt: skip
        return html
    path = f"{Path(config.docs_dir).name}/{page.file.src_uri}"
    href = f"https://colab.research.google.com/github/{repository}/blob/{PUBLISHED_BRANCH}/{path}"
    link = f'<p class="download"><a href="{href}">Open in Colab</a></p>'
    return html.replace("</h1>", f"</h1>\n{link}", 1)


def github_repository():
    """owner/name of the GitHub repository the site is built from, or None if it is not one.

    GitHub Actions names it in GITHUB_REPOSITORY; a clone, in the address of its origin remote.
    """
    if os.environ.get("GITHUB_REPOSITORY"):
        return os.environ["GITHUB_REPOSITORY"]
    try:
        origin = subprocess.run(["git", "remote", "get-url", "origin"], capture_output=True,
                                text=True, check=True).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):  # no git, or no origin remote
        return None
    match = re.search(r"github\.com[:/](?P<repository>[^/]+/[^/]+?)(?:\.git)?$", origin)
    return match["repository"] if match else None


def notebook_path(src_uri):
    """basics/tensors.md -> notebooks/basics/tensors.ipynb: the notebooks mirror the pages."""
    return f"notebooks/{Path(src_uri).with_suffix('.ipynb').as_posix()}"


def on_post_build(config):
    docs = Path(config.docs_dir)
    for page in sorted(docs.rglob("*.md")):
        if "```python" in page.read_text():
            out = Path(config.site_dir) / notebook_path(page.relative_to(docs))
            out.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(page_notebook(page), out)


def page_notebook(page):
    notebook = jupytext.read(page, fmt="md")
    cells, previous = [], None
    for cell in notebook.cells:
        skip = previous is not None and SKIP.search(previous.source)
        if cell.cell_type == "code" and skip:
            note = f"Not run by the checks ({skip['reason']}):\n\n```python\n{cell.source}\n```"
            cells.append(nbformat.v4.new_markdown_cell(note))
        elif cell.cell_type == "code" and cell.source.startswith(">>>"):
            cells += doctest_cells(cell.source)
        else:
            cells.append(cell)
        previous = cell
    notebook.cells = [nbformat.v4.new_code_cell(SHOW_EVERY_RESULT), *cells]
    notebook.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3"}}
    return notebook


def doctest_cells(source):
    """Plain code cells for a doctest block; each example that raises in a cell of its own."""
    cells, code = [], []
    for example in DOCTEST_PARSER.get_examples(source):
        if example.exc_msg is None:
            code.append(example.source)
            continue
        if code:
            cells.append(nbformat.v4.new_code_cell("".join(code).rstrip()))
            code = []
        raising = nbformat.v4.new_code_cell(example.source.rstrip())
        raising.metadata["tags"] = ["raises-exception"]
        cells.append(raising)
    if code:
        cells.append(nbformat.v4.new_code_cell("".join(code).rstrip()))
    return cells
