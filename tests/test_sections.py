"""Every H2 section runs on its own after its page's setup block, as a reader would copy it."""

from unittest import SkipTest

import pytest
from pages import DOCS, PAGES, parse, sections
from sybil.evaluators.skip import Skipper

import conftest


def copyable_sections():
    for page in PAGES:
        text = page.read_text()
        parts = sections(text)
        _, setup_start, setup_end = parts[0]
        for title, start, end in parts[1:]:
            label = f"{page.relative_to(DOCS)}::{title}"
            yield pytest.param(page, (setup_start, setup_end), (start, end), id=label)


@pytest.mark.parametrize(("page", "setup", "section"), list(copyable_sections()))
def test_section_runs_alone(page, setup, section):
    document = parse(page)
    conftest.seed(document.namespace)
    checked, skips = 0, set()
    for example in document.examples():
        in_setup = setup[0] <= example.start < setup[1]
        in_section = section[0] <= example.start < section[1]
        if not (in_setup or in_section):
            continue
        try:
            example.evaluate()
        except SkipTest as skip:  # a CUDA block, or another version's tab: carry on
            skips.add(str(skip))
        else:
            checked += in_section and not isinstance(example.region.evaluator, Skipper)
    if checked == 0 and skips:
        pytest.skip("; ".join(sorted(skips)))
