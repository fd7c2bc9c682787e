"""Every H2 section runs on its own after its page's setup block, as a reader would copy it."""

import pytest
from pages import DOCS, PAGES, parse, sections

import conftest


def copyable_sections():
    for page in PAGES:
        text = page.read_text()
        parts = sections(text)
        _, setup_start, setup_end = parts[0]
        for title, start, end in parts[1:]:
            ranges = [(setup_start, setup_end), (start, end)]
            label = f"{page.relative_to(DOCS)}::{title}"
            yield pytest.param(page, ranges, id=label)


@pytest.mark.parametrize(("page", "ranges"), list(copyable_sections()))
def test_section_runs_alone(page, ranges):
    document = parse(page)
    conftest.seed(document.namespace)
    for example in document.examples():
        if any(start <= example.start < end for start, end in ranges):
            example.evaluate()
