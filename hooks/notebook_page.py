"""Make each notebook page (docs/**/*.ipynb, rendered by mkdocs-jupyter) read like the other pages.

mkdocs-jupyter copies nbconvert's JupyterLab stylesheets, about 600 KB, into every notebook page,
and with them its light code colours and its pink background for stderr (where tqdm writes its
progress bars). It gives each code cell a copy button of its own, with a hidden second copy of
the source that the site search indexes too, and it inlines plots as base64 text.

In on_page_content, before the search plugin reads the page, this hook drops nbconvert's <style>
blocks (docs/stylesheets/notebook.css has the few rules the page needs) and turns each code cell
into a Material code block, so that Material's code colours, scrolling box and copy button apply
and the search indexes the code once. It drops the notebook's copy buttons, their hidden sources
and scripts, and its MathJax loader (the notebooks have no math, and mkdocs.yml gives it no URL),
shows stderr as plain text output, and marks heading anchors as Material's permalinks. In
on_post_page it writes each inline image as a file beside the page, so that the HTML is text.
"""

import base64
import hashlib
import re
from pathlib import Path

# A code cell as mkdocs-jupyter writes it: the copy button, the highlighted source, a hidden copy.
COPY_BUTTON = re.compile(
    r'<div class="zeroclipboard-container">.*?</clipboard-copy>\s*</div>\s*', re.S
)
HIDDEN_SOURCE = re.compile(r'<div class="clipboard-copy-txt"[^>]*>[^<]*</div>\s*')
HIGHLIGHTED = re.compile(
    r'<div class="highlight-ipynb hl-(?P<language>[\w+-]+)[^"]*"><pre>(?:<span></span>)?'
    r"(?P<code>.*?)</pre></div>",
    re.S,
)
# The copy button's script, its "Copied!" notice's, and the MathJax loader and configuration.
NOTEBOOK_SCRIPT = re.compile(
    r"<script>(?:(?!</script>).)*?(?:ClipboardCopyElement|'clipboard-copy').*?</script>\s*"
    r"|<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->\s*",
    re.S,
)
STDERR = 'data-mime-type="application/vnd.jupyter.stderr"'
# nbconvert's cell ids ("cell-id=1a2b") are no CSS identifiers, and Material's copy button finds
# its code block by a selector made from the id of the block's closest element that has one.
CELL_ID = re.compile(r'id="cell-id=([\w-]+)"')
NBCONVERT_STYLE = re.compile(r"<style\b[^>]*>.*?</style>\s*", re.S)
INLINE_IMAGE = re.compile(r'(<img\b[^>]*\bsrc=")data:image/(png|jpeg|gif|webp);base64,([^"]+)"')


def is_notebook(page):
    return page.file.src_uri.endswith(".ipynb")


def on_page_content(html, page, config, files):
    if not is_notebook(page):
        return html
    html = NBCONVERT_STYLE.sub("", html)
    html = COPY_BUTTON.sub("", html)
    html = HIDDEN_SOURCE.sub("", html)
    html = HIGHLIGHTED.sub(material_code_block, html)
    html = NOTEBOOK_SCRIPT.sub("", html)
    html = html.replace(STDERR, 'data-mime-type="text/plain"')
    html = CELL_ID.sub(r'id="cell-\1"', html)
    return html.replace('<a class="anchor-link"', '<a class="headerlink"')


def material_code_block(match):
    """A highlighted cell in the markup of the Markdown pages' code blocks (pymdownx.highlight)."""
    language, code = match["language"], match["code"]
    return (
        f'<div class="language-{language} highlight"><pre><span></span><code>{code}</code></pre>'
        "</div>"
    )


def on_post_page(output, page, config):
    if not is_notebook(page):
        return output
    folder = Path(page.file.abs_dest_path).parent
    return INLINE_IMAGE.sub(lambda image: image_file(image, folder), output)


def image_file(image, folder):
    """Write an inline image beside the page, named by its content; link it by that name."""
    tag_start, extension, encoded = image.groups()
    data = base64.b64decode(encoded)
    name = f"output-{hashlib.sha256(data).hexdigest()[:16]}.{extension}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    return f'{tag_start}{name}"'
