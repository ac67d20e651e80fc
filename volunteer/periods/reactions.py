"""Periods' receivers: a change of an attested month's figures makes it stale (R30)."""

from __future__ import annotations

from .. import events
from .staleness import mark_stale_for_months, mark_stale_for_student


def _hours_changed(student_id: int, *, months: set[str], actor=None, **_: object) -> None:
    mark_stale_for_student(student_id, months, actor)


def _calendar_changed(_sender: object, *, months: set[str], actor=None, **_: object) -> None:
    mark_stale_for_months(months, actor)


def connect_receivers() -> None:
    """Listen to the events that change the figures an attestation vouched for."""
    events.hours_changed.connect(_hours_changed)
    events.calendar_changed.connect(_calendar_changed)
