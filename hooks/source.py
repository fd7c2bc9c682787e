"""At the foot of every page, a link to its source file in the repository the site is built from.

A plain link: reading a page asks nothing of GitHub (Material's `repo_url` would fetch the
repository's star count from api.github.com on every visit, and this site requests nothing from
another host). Without a known GitHub repository the build logs that and adds no link.
"""

import logging
from pathlib import Path

from notebooks import PUBLISHED_BRANCH, github_repository

log = logging.getLogger("mkdocs.hooks.source")
repository = None


def on_config(config):
    global repository
    repository = github_repository()
    if repository is None:
        log.info("source: no links to page sources, since the GitHub repository is unknown "
                 "(set GITHUB_REPOSITORY=owner/name)")  # fmt: skip


def on_page_markdown(markdown, page, config, files):
    if repository is None:
        return markdown
    path = f"{Path(config.docs_dir).name}/{page.file.src_uri}"
    href = f"https://github.com/{repository}/blob/{PUBLISHED_BRANCH}/{path}"
    link = f"[Source of this page]({href}): `{path}`\n{{: .page-source data-search-exclude }}"
    return f"{markdown.rstrip()}\n\n{link}\n"
