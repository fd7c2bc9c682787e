"""Every ```python block under docs/ is a test: plain code runs, `>>>` blocks are doctests."""

from doctest import ELLIPSIS, NORMALIZE_WHITESPACE

import torch
from sybil import Sybil
from sybil.parsers.markdown import ClearNamespaceParser, PythonCodeBlockParser, SkipParser


def seed(namespace):
    """Start every page from the same random state, so printed values are stable."""
    torch.manual_seed(0)


sybil = Sybil(
    parsers=[
        PythonCodeBlockParser(doctest_optionflags=ELLIPSIS | NORMALIZE_WHITESPACE),
        SkipParser(),
        ClearNamespaceParser(),
    ],
    path="docs",
    patterns=["*.md"],  # at any depth below docs/
    setup=seed,
)

pytest_collect_file = sybil.pytest()
