"""Fill `{{ torch_version }}` and `{{ torchvision_version }}` in pages from the installed packages.

The versions a page names are read from the environment at build time, never typed by hand.
"""

from importlib.metadata import version

VERSIONS = {
    "{{ torch_version }}": version("torch"),
    "{{ torchvision_version }}": version("torchvision"),
}


def on_page_markdown(markdown, page, config, files):
    for placeholder, installed in VERSIONS.items():
        markdown = markdown.replace(placeholder, installed)
    return markdown
