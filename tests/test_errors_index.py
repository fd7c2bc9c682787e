"""The Errors page is written by the build from the tracebacks the doctests show."""

import errors  # hooks/errors.py

PAGE = """# Broken things

Intro.

```python
>>> import torch
```

## Multiply matrices that do not fit

```python
>>> torch.ones(2, 3) @ torch.ones(2, 3)
Traceback (most recent call last):
    ...
RuntimeError: mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)
>>> (torch.ones(2, 3) @ torch.ones(3, 2)).shape
torch.Size([2, 2])
```

## Index past the end

=== "CPU"

    ```python
    >>> torch.ones(2)[5]
    Traceback (most recent call last):
        ...
    IndexError: index 5 is out of bounds for dimension 0 with size 2
    ```
"""


def test_each_traceback_is_found_with_its_section():
    shown = list(errors.shown_errors("basics/broken.md", PAGE))
    assert [(e.kind, e.section) for e in shown] == [
        ("RuntimeError", "Multiply matrices that do not fit"),
        ("IndexError", "Index past the end"),
    ]
    assert shown[0].message == "mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)"


def test_index_links_each_message_to_its_section_from_the_index_page():
    table = errors.index(errors.shown_errors("basics/broken.md", PAGE), "reference/errors.md")
    assert "## IndexError" in table and "## RuntimeError" in table
    link = "[Broken things: Index past the end](../basics/broken.md#index-past-the-end)"
    assert f"| `index 5 is out of bounds for dimension 0 with size 2` | {link} |" in table
