"""Offer each page with snippets as a notebook, site/notebooks/<page>.ipynb, linked under its title.

jupytext reads a page into markdown and code cells. A doctest cell becomes plain code: its `>>>`
sources without prompts or expected output. An example that shows an error on purpose gets a
cell of its own tagged `raises-exception`, so Jupyter shows the error and runs on. A block the
doctest run skips (it needs CUDA, or downloads) stays on as markdown, with the reason. A first
cell makes IPython show every expression's value, as the page's doctests do.
"""

import doctest
import re
from pathlib import Path

import jupytext
import nbformat

SKIP = re.compile(r"<!-- skip: .*?(?:reason=)?\"(?P<reason>[^\"]*)\".*?-->\s*$", re.DOTALL)
DOCTEST_PARSER = doctest.DocTestParser()
SHOW_EVERY_RESULT = '%config InteractiveShell.ast_node_interactivity = "all"'


def on_page_markdown(markdown, page, config, files):
    if "```python" not in markdown:
        return markdown
    href = "../" * page.url.count("/") + f"notebooks/{Path(page.file.src_uri).stem}.ipynb"
    link = f'<a href="{href}" download>Download this page as a notebook</a>\n{{: .download }}'
    return re.sub(r"^# .+$", lambda h1: f"{h1.group(0)}\n\n{link}", markdown, count=1, flags=re.M)


def on_post_build(config):
    out = Path(config.site_dir) / "notebooks"
    out.mkdir(exist_ok=True)
    for page in sorted(Path(config.docs_dir).rglob("*.md")):
        if "```python" in page.read_text():
            nbformat.write(page_notebook(page), out / f"{page.stem}.ipynb")


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
