"""Which agreement covers a student at an enterprise on a day, and whether the day is
allowed (R3, R4, R5) — the questions a check-in and a manual entry both ask."""

from __future__ import annotations

from datetime import date

from sqlalchemy import bindparam, select

from ..agreements.models import Agreement
from ..calendar.models import CalendarOverride
from ..calendar.rules import MonthCalendar, month_bounds, month_of
from ..extensions import db
from ..students.models import Student
from ..unions.models import Union

# Built once: every check-in asks it.
_AGREEMENTS_ON = select(Agreement).where(
    Agreement.student_id == bindparam("student_id"),
    Agreement.enterprise_id == bindparam("enterprise_id"),
    Agreement.starts_on <= bindparam("day"),
    Agreement.ends_on >= bindparam("day"),
)


def active_agreement(student_id: int, enterprise_id: int, day: date) -> Agreement | None:
    """Return the student's agreement with the enterprise that is active on `day`."""
    candidates = db.session.scalars(
        _AGREEMENTS_ON, {"student_id": student_id, "enterprise_id": enterprise_id, "day": day}
    )
    for agreement in candidates:
        if agreement.status_on(day) == "active":
            return agreement
    return None


def month_calendar(month: str) -> MonthCalendar:
    """Return the allowed-day calendar of a month with the province's overrides."""
    first, last = month_bounds(month)
    rows = db.session.execute(
        select(CalendarOverride.day, CalendarOverride.kind).where(
            CalendarOverride.day >= first, CalendarOverride.day <= last
        )
    )
    return MonthCalendar.for_month(month, {day: kind for day, kind in rows})


def day_allowed(day: date, allow_workdays: bool) -> bool:
    """Tell whether hours may be served on `day` under an agreement (R3, R4)."""
    if allow_workdays:
        return True
    return month_calendar(month_of(day)).is_allowed(day, False)


_REQUIRES_INSURANCE = (
    select(Union.require_insurance)
    .join(Student, Student.union_code == Union.code)
    .where(Student.id == bindparam("student_id"))
)


def insurance_required(student_id: int) -> bool:
    """Tell whether the student's union refuses check-ins the insurance does not cover (R37)."""
    return bool(db.session.scalar(_REQUIRES_INSURANCE, {"student_id": student_id}))
