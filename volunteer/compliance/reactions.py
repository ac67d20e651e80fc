"""Compliance's receivers: keep the stored figures of closed months true (R21) and the
read model (readmodel.py) current. Each receiver refreshes the stored figures first: the
read model shows them for a closed month."""

from __future__ import annotations

from .. import events
from ..extensions import db
from ..unions.models import Union
from . import readmodel
from .closing import refresh_month_figures, refresh_stored_figures


def _hours_changed(student_id: int, *, months: set[str], **_: object) -> None:
    refresh_stored_figures(student_id, months)
    readmodel.refresh_student(student_id, months)


def _calendar_changed(_sender: object, *, months: set[str], **_: object) -> None:
    for month in sorted(months):
        refresh_month_figures(month)
        readmodel.refresh_month(month)


def _agreement_changed(agreement_id: int, *, student_id: int, months: set[str], **_: object):
    # `months` are the months reached so far; the read model also holds the months to
    # come, and the ones a shortened agreement left. Stored figures of closed months
    # follow hours_changed, which the agreement services send as well.
    readmodel.refresh_student(student_id, readmodel.agreement_months(agreement_id, student_id))


def _month_closed_or_reopened(union_code: str, *, month: str, **_: object) -> None:
    union = db.session.get(Union, union_code)
    readmodel.refresh_month(month, union.path if union is not None else None)


def _scan_recorded(session_id: int, *, action: str, **_: object) -> None:
    # A check-in has no minutes yet; a check-out's minutes are pending (one upsert).
    if action == "check_out":
        readmodel.add_session_minutes(session_id)


def _session_auto_closed(session_id: int, *, student_id: int, **_: object) -> None:
    readmodel.refresh_student(student_id, readmodel.session_months(session_id))


def _student_updated(student_id: int, *, fields: set[str], **_: object) -> None:
    if "union_code" in fields:
        readmodel.refresh_student_everywhere(student_id)


def connect_receivers() -> None:
    """Listen to the events that move a student-month's figures."""
    events.hours_changed.connect(_hours_changed)
    events.calendar_changed.connect(_calendar_changed)
    events.agreement_changed.connect(_agreement_changed)
    events.month_closed.connect(_month_closed_or_reopened)
    events.month_reopened.connect(_month_closed_or_reopened)
    events.scan_recorded.connect(_scan_recorded)
    events.session_auto_closed.connect(_session_auto_closed)
    events.student_updated.connect(_student_updated)
