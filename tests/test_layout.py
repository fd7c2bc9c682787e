"""The docs/ folders mirror the nav: one folder per section, each introduced by its index.md."""

from pathlib import Path

import yaml
from pages import DOCS


class ConfigLoader(yaml.SafeLoader):
    """mkdocs.yml as YAML, its `!ENV [NAME, default]` values read as their default."""


ConfigLoader.add_constructor("!ENV", lambda loader, node: loader.construct_sequence(node)[-1])
MKDOCS = yaml.load((DOCS.parent / "mkdocs.yml").read_text(), Loader=ConfigLoader)
NAV = MKDOCS["nav"]


def entry_path(entry):
    """A nav entry is 'path.md' or {'Title': 'path.md'}; a section is {'Title': [entries]}."""
    return next(iter(entry.values())) if isinstance(entry, dict) else entry


def sections():
    return {
        title: pages for item in NAV for title, pages in item.items() if isinstance(pages, list)
    }


def test_every_page_is_in_the_nav_once():
    listed = [entry_path(NAV[0])] + [entry_path(e) for pages in sections().values() for e in pages]
    on_disk = [
        p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*") if p.suffix in {".md", ".ipynb"}
    ]
    assert sorted(listed) == sorted(on_disk)


def test_each_section_is_one_folder_that_starts_with_its_index():
    for title, pages in sections().items():
        paths = [Path(entry_path(entry)) for entry in pages]
        assert len({path.parent for path in paths}) == 1, f"{title} spans several folders"
        assert paths[0].name == "index.md", f"{title} does not start with its index.md"


def test_each_section_index_lists_its_pages():
    for pages in sections().values():
        index, *rest = [Path(entry_path(entry)) for entry in pages]
        text = (DOCS / index).read_text()
        missing = [page.name for page in rest if f"]({page.name})" not in text]
        assert missing == [], f"{index} does not link {missing}"
