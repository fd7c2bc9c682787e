"""Render math to MathML while building: browsers draw MathML natively, so nothing is fetched.

pymdownx.arithmatex (generic mode) wraps `$...$` in <span class="arithmatex">\\(...\\)</span> and
`$$...$$` in <div class="arithmatex">\\[...\\]</div>; this hook replaces each with MathML. A display
equation keeps a box of its own, `div.math-display`, which scrolls sideways where the equation is
wider than the column (docs/stylesheets/extra.css), as on a phone.
"""

import html
import re

from latex2mathml.converter import convert

ARITHMATEX = re.compile(r'<(span|div) class="arithmatex">(.*?)</\1>', re.DOTALL)


def to_mathml(match):
    tag, wrapped = match.groups()
    latex = html.unescape(wrapped).strip()[2:-2]  # drop the \( \) or \[ \] delimiters
    if tag == "span":
        return convert(latex, display="inline")
    return f'<div class="math-display">{convert(latex, display="block")}</div>'


def on_page_content(html_text, page, config, files):
    return ARITHMATEX.sub(to_mathml, html_text)
