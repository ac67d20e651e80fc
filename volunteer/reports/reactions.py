"""Reports' receivers: supersede certificates whose hours changed (R25)."""

from __future__ import annotations

from sqlalchemy import select

from .. import events
from ..compliance.models import MonthFigure
from ..extensions import db
from .certificates import supersede_affected


def _hours_changed(student_id: int, *, months: set[str], **_: object) -> None:
    supersede_affected(student_id, months)


def _calendar_changed(_sender: object, *, months: set[str], **_: object) -> None:
    # Certificates cover closed months only, and a closed month has stored figures.
    for month in sorted(months):
        students = db.session.scalars(
            select(MonthFigure.student_id).where(MonthFigure.month == month)
        ).all()
        for student_id in students:
            supersede_affected(student_id, {month})


def connect_receivers() -> None:
    """Listen to the events that change the hours certificates state."""
    events.hours_changed.connect(_hours_changed)
    events.calendar_changed.connect(_calendar_changed)
