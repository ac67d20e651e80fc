"""The read model's figures that depend on today, as SQL: a student-month's status and
allowed days left (R19, R20), from the stored figures and the days-left profile.

Today is a constant of the query: it picks two digits of the profile (the allowed days
left from that day), so no calendar is read and nothing per student is computed in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import Integer, case, cast, func, literal

from ..calendar.rules import month_bounds
from .models import StudentMonthFigure as F


@dataclass(frozen=True)
class Today:
    """What a read of one month needs to know about today."""

    month: str
    today: date
    month_over: bool
    position: int  # 1-based offset of today's two digits in the profile
    cap_minutes: float  # minutes a student can serve in one allowed day

    @classmethod
    def of(cls, month: str, today: date) -> Today:
        first, last = month_bounds(month)
        day = max(today, first)
        cap = float(current_app.config.get("DAILY_CAP_HOURS", 8)) * 60
        return cls(month, today, today > last, 2 * (min(day, last).day - 1) + 1, cap)

    def days_left_of(self, profile: str, closed: bool) -> int:
        """Return the allowed days left from a stored profile (0 once over or closed)."""
        if self.month_over or closed or not profile:
            return 0
        return int(profile[self.position - 1 : self.position + 1])


def days_left_sql(t: Today):
    """Allowed days left today, as the row's profile says (0 once over or closed)."""
    if t.month_over:
        return literal(0)
    digits = cast(func.substr(F.days_left, t.position, 2), Integer)
    return case((F.closed, 0), else_=digits)


def needed_sql():
    """Minutes still to serve: required − confirmed − pending, never below 0."""
    needed = F.required_minutes - F.confirmed_minutes - F.pending_minutes
    return case((needed > 0, needed), else_=0)


def status_sql(t: Today):
    """month_status (rules.py) in SQL; a missing row (outer join) is "not_required"."""
    needed = F.required_minutes - F.confirmed_minutes - F.pending_minutes
    whens = [
        (func.coalesce(F.gross_minutes, 0) <= 0, "not_required"),
        (F.required_minutes == 0, "exempt"),
        (F.confirmed_minutes >= F.required_minutes, "met"),
        # A closed month is final: pending minutes no longer count.
        (F.closed, "missed"),
        (F.confirmed_minutes + F.pending_minutes >= F.required_minutes, "awaiting_confirmation"),
    ]
    if t.month_over:
        return case(*whens, else_="missed")
    capacity = cast(func.substr(F.days_left, t.position, 2), Integer) * t.cap_minutes
    whens += [(needed > capacity, "missed"), (needed * 2 > capacity, "at_risk")]
    return case(*whens, else_="on_track")


def met_sql():
    """The condition of a "met" student-month among those with a requirement."""
    return (F.required_minutes > 0) & (F.confirmed_minutes >= F.required_minutes)
