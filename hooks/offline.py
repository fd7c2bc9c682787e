"""Drop inline scripts that would import code from another host, so the site stays offline.

mkdocs-jupyter's notebook template carries a module script that imports Mermaid from a CDN when
a notebook has diagrams; ours have none, and no option turns the script off.
"""

import re

REMOTE_IMPORT_SCRIPT = re.compile(
    r"<script\b[^>]*>(?:(?!</script>).)*?\bimport\(\s*[\"'](?:https?:)?//.*?</script>", re.DOTALL
)


def on_post_page(output, page, config):
    return REMOTE_IMPORT_SCRIPT.sub("", output)
