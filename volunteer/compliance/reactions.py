"""Compliance's receivers: keep the stored figures of closed months true (R21)."""

from __future__ import annotations

from .. import events
from .closing import refresh_month_figures, refresh_stored_figures


def _hours_changed(student_id: int, *, months: set[str], **_: object) -> None:
    refresh_stored_figures(student_id, months)


def _calendar_changed(_sender: object, *, months: set[str], **_: object) -> None:
    for month in sorted(months):
        refresh_month_figures(month)


def connect_receivers() -> None:
    """Listen to the events that move a closed month's figures."""
    events.hours_changed.connect(_hours_changed)
    events.calendar_changed.connect(_calendar_changed)
