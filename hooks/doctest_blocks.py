"""Show doctest blocks as console sessions, so that copying leaves prompts and output out.

Sybil runs every ```python block, and a block that starts with `>>>` is a doctest. Rendering
such a block with the `pycon` lexer marks its prompts (`.gp`); every other line of it is output
(printed values, tracebacks), which this hook wraps, newline included, in one `.go` span.
docs/stylesheets/extra.css makes prompts and output unselectable and hides them from the copy
button, so what a reader copies is the code alone.

Sybil's `<!-- skip: ... -->` directives are for the test run: the build drops them, so that a
directive and the fence under it are not read as one paragraph (inside a tab, Markdown would
wrap the block in a `<p>`), and the reason reaches the reader in the block's mark instead
(hooks/verified.py).
"""

import re

# The fence may be indented (inside a content tab); its first line must then be too.
DOCTEST_FENCE = re.compile(r"^([ \t]*)```python\n(?=\1>>>)", re.MULTILINE)
DOCTEST_CODE = re.compile(r'(<code>)(<span class="gp">&gt;&gt;&gt; .*?)(</code>)', re.DOTALL)
PROMPT = '<span class="gp">'
SYBIL_DIRECTIVE = re.compile(r"^[ \t]*<!-- skip: .*-->[ \t]*\n", re.MULTILINE)


def on_page_markdown(markdown, page, config, files):
    return DOCTEST_FENCE.sub(r"\1```pycon\n", SYBIL_DIRECTIVE.sub("", markdown))


def on_page_content(html, page, config, files):
    return DOCTEST_CODE.sub(lambda m: m[1] + mark_output(m[2]) + m[3], html)


def mark_output(code):
    *lines, last = code.split("\n")
    marked = [
        line + "\n" if line.startswith(PROMPT) else f'<span class="go">{line}\n</span>'
        for line in lines
    ]
    return "".join(marked) + last
