"""Follow-ups' receiver: a month close opens a case for each missed student (R35)."""

from __future__ import annotations

from .. import events
from .opening import open_cases


def _month_closed(union_code: str, *, month: str, actor=None, **_: object) -> None:
    open_cases(union_code, month, actor)


def connect_receivers() -> None:
    """Listen to month closes."""
    events.month_closed.connect(_month_closed)
