"""Free text a person types into a form or an API body: trimmed, bounded, and without
control characters (invisible on the page, they travel on into spreadsheets and logs)."""

from __future__ import annotations

from typing import Any

from .errors import N_, ValidationError

# C0 controls and DEL, except tab, line feed and carriage return.
CONTROL = frozenset(chr(c) for c in (*range(0, 9), 11, 12, *range(14, 32), 127))


def has_control(text: str) -> bool:
    """Tell whether the text holds a control character."""
    return any(ch in CONTROL for ch in text)


def labelled_text(field: str, value: Any, limit: int, label: str) -> str | None:
    """Return the trimmed text (None when absent or blank), or 400 naming the field and
    saying what is wrong in the words of its label."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError.field(field, N_("%(label)s应为文本", label=label))
    text = value.strip()
    if has_control(text):
        raise ValidationError.field(field, N_("%(label)s含有不可见的控制字符", label=label))
    if len(text) > limit:
        raise ValidationError.field(field, N_("%(label)s不能超过%(n)s个字", label=label, n=limit))
    return text or None
