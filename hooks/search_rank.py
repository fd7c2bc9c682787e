"""Rank a page's sections level with its intro in the search index, so readers see the sections.

Material's search worker multiplies a result's score by 1 + (1 + matched)^2 for a page's intro
entry and by 1 + matched^2 for a section, where `matched` is the share of the query's words the
entry contains: an intro that matches every word scores 5 / 2 = 2.5 times a section that does.
The results then show, for each page, only the entries that score as high as its best one, and
fold the others under "N more on this page", so a query such as "save model" showed the page
"Saving and loading" alone and hid the section "Save and load a model's state_dict" that
answers it. Giving every intro entry a document boost of 1 / 2.5 cancels that factor: an intro
and a section that match equally score equally, and a section whose heading names the task
outranks its page (`benchmarks/search_hits.py` measures the effect on the readers' queries of
tests/browser/test_search.py). Sections keep the default boost of 1.
"""

import json
from pathlib import Path

# Material's extra factor for a page's intro entry over a section that matches as well.
INTRO_FACTOR = (1 + 2**2) / (1 + 1**2)
INTRO_BOOST = round(1 / INTRO_FACTOR, 2)


def on_post_build(config):
    index_path = Path(config.site_dir) / "search" / "search_index.json"
    if not index_path.exists():  # the search plugin is off
        return
    index = json.loads(index_path.read_text(encoding="utf-8"))
    index["docs"] = rank_sections_with_intros(index["docs"])
    index_path.write_text(json.dumps(index, separators=(",", ":")), encoding="utf-8")


def rank_sections_with_intros(docs):
    """The index's entries with a page's intro entry (its address has no #anchor) boosted down."""
    return [
        doc if "#" in doc["location"] else {**doc, "boost": doc.get("boost", 1) * INTRO_BOOST}
        for doc in docs
    ]
