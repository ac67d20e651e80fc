"""Records' receivers: an exported national row whose figures move is marked `changed` (R40)."""

from __future__ import annotations

from .. import events
from .exports import mark_changed


def _hours_changed(student_id: int, *, months: set[str], **_: object) -> None:
    mark_changed(student_id, events.months_set(months))


def connect_receivers() -> None:
    """Listen to the events that move the figures of exported rows."""
    events.hours_changed.connect(_hours_changed)
