"""Name what Material leaves unnamed: its search dialog gets an accessible name.

Screen readers announce a dialog by its name; Material's search overlay has `role="dialog"` and
none, which axe-core reports as a serious violation on every page.
"""

SEARCH_DIALOG = '<div class="md-search" data-md-component="search" role="dialog">'
NAMED_SEARCH_DIALOG = SEARCH_DIALOG.replace('role="dialog"', 'role="dialog" aria-label="Search"')


def on_post_page(output, page, config):
    return output.replace(SEARCH_DIALOG, NAMED_SEARCH_DIALOG)
