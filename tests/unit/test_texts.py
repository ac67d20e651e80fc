"""Free text a person types: trimmed, bounded, no control characters (volunteer/texts.py),
as the agreement terms, the union profile and the records check it."""

from __future__ import annotations

import pytest

from volunteer.errors import ValidationError
from volunteer.texts import has_control, labelled_text


def _refusal(value, limit=5):
    with pytest.raises(ValidationError) as caught:
        labelled_text("insurer", value, limit, "保险公司")
    return caught.value.fields["insurer"]


def test_trimmed_and_blank_is_none():
    assert labelled_text("insurer", "  人保  ", 5, "保险公司") == "人保"
    assert labelled_text("insurer", "   ", 5, "保险公司") is None
    assert labelled_text("insurer", None, 5, "保险公司") is None


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (12, "保险公司应为文本"),
        ("人保\x00", "保险公司含有不可见的控制字符"),
        ("人保\x1b[31m", "保险公司含有不可见的控制字符"),
        ("中国人民保险", "保险公司不能超过5个字"),
    ],
)
def test_refusals_name_the_field_in_its_own_words(value, words):
    assert words in str(_refusal(value))


def test_tabs_and_line_breaks_are_text():
    assert not has_control("第一行\n第二行\t（附注）\r\n")
    assert has_control("\x7f")
