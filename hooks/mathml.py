"""Render math to MathML while building: browsers draw MathML natively, so nothing is fetched.

pymdownx.arithmatex (generic mode) wraps `$...$` in <span class="arithmatex">\\(...\\)</span> and
`$$...$$` in <div class="arithmatex">\\[...\\]</div>; this hook replaces each with MathML.
"""

import html
import re

from latex2mathml.converter import convert

ARITHMATEX = re.compile(r'<(span|div) class="arithmatex">(.*?)</\1>', re.DOTALL)


def to_mathml(match):
    tag, wrapped = match.groups()
    latex = html.unescape(wrapped).strip()[2:-2]  # drop the \( \) or \[ \] delimiters
    return convert(latex, display="block" if tag == "div" else "inline")


def on_page_content(html_text, page, config, files):
    return ARITHMATEX.sub(to_mathml, html_text)
