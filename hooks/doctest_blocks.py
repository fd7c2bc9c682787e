"""Show doctest blocks as console sessions, so that copying leaves prompts and output out.

Sybil runs every ```python block, and a block that starts with `>>>` is a doctest. Rendering
such a block with the `pycon` lexer marks its prompts (`.gp`) and its output (`.go`), which
docs/stylesheets/extra.css makes unselectable and hides from the copy button.
"""

import re

# The fence may be indented (inside a content tab); its first line must then be too.
DOCTEST_FENCE = re.compile(r"^([ \t]*)```python\n(?=\1>>>)", re.MULTILINE)


def on_page_markdown(markdown, page, config, files):
    return DOCTEST_FENCE.sub(r"\1```pycon\n", markdown)
