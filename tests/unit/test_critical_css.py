"""The scan page's inline styles are taken from app.css, never a copy that drifts."""

from __future__ import annotations

import pytest

from volunteer.checkin.blueprint import APP_CSS, SCAN_PAGE_SELECTORS, critical_css
from volunteer.ui.critical_css import extract

CSS = """
/* a comment */
:root { --red: #b5261e; }
.a, .b { color: red; }
.c { margin: 0; }
@media (min-width: 700px) { .c { margin: 1rem; } .d { padding: 0; } }
@media print { .d { display: none; } }
"""


def test_extract_keeps_the_named_rules_and_their_media_in_order():
    out = extract(CSS, [".c", ":root", ".a,  .b"])
    assert out.index(":root") < out.index(".a, .b") < out.index(".c {")
    assert "@media (min-width: 700px) {\n.c { margin: 1rem; }\n}" in out
    assert ".d" not in out and "comment" not in out and "print" not in out


def test_extract_names_what_it_cannot_find():
    with pytest.raises(ValueError, match=r"\.gone"):
        extract(CSS, [".c", ".gone"])


def test_the_scan_page_inlines_app_css_own_rules():
    text = critical_css()
    assert text == extract(APP_CSS.read_text(encoding="utf-8"), SCAN_PAGE_SELECTORS)
    # The variables and the button's size are those of app.css, whatever it says today.
    app_css = APP_CSS.read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.startswith("  --"):
            assert line.strip() in app_css
