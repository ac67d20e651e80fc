"""One student's record as an officer follows it: every agreement, session, correction,
flag, exemption and month on one timeline, newest first — a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select

from .. import clock
from ..agreements.models import Agreement
from ..auth import scope
from ..auth.models import User
from ..calendar.rules import add_months, month_of
from ..checkin.models import Correction, ServiceSession
from ..checkin.sessions import local_month_range
from ..enterprises.models import Enterprise, Site
from ..extensions import db
from ..students.models import Student
from .models import Exemption
from .monthrows import MonthRow, compute_rows_by_month

TIMELINE_SESSIONS = 200
TIMELINE_MONTHS = 24
# A correction's own words: an open request waits like a pending session.
CORRECTION_STATUS = {
    "open": "pending"
}  # the newest; older months stay reachable through the month pages


@dataclass
class Event:
    """One line of the timeline: when, what kind, the words, and where to look closer."""

    at: datetime
    kind: str  # agreement · session · correction · exemption · month
    title: str
    detail: str = ""
    status: str | None = None
    flags: list[str] = field(default_factory=list)
    url_args: tuple[str, dict[str, Any]] | None = None


@dataclass
class Timeline:
    """A student and the events of their record."""

    student: Student
    events: list[Event]
    months: list[MonthRow]


def _start_of(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=clock.business_tz())


def month_sessions(student_id: int, month: str) -> list[tuple[ServiceSession, str, str]]:
    """Return the student's sessions that start in a month with site and enterprise names."""
    start, end = local_month_range(month)
    stmt = (
        select(ServiceSession, Site.name, Enterprise.name)
        .join(Site, Site.id == ServiceSession.site_id)
        .join(Enterprise, Enterprise.id == ServiceSession.enterprise_id)
        .where(
            ServiceSession.student_id == student_id,
            ServiceSession.check_in_at >= start,
            ServiceSession.check_in_at < end,
        )
        .order_by(ServiceSession.check_in_at)
    )
    return [tuple(row) for row in db.session.execute(stmt)]


def serves_every_day(student_id: int, enterprise_ids: tuple[int, ...]) -> bool:
    """Tell whether every agreement behind a month allows workdays (no rest-day rule)."""
    if not enterprise_ids:
        return False
    flags = db.session.scalars(
        select(Agreement.allow_workdays).where(
            Agreement.student_id == student_id, Agreement.enterprise_id.in_(enterprise_ids)
        )
    ).all()
    return bool(flags) and all(flags)


def student_timeline(actor: User, student_id: int) -> Timeline:
    """Return a student's whole record in the actor's scope (404 outside it)."""
    student = scope.get_or_404(scope.students(actor), Student, student_id)
    enterprises = dict(
        db.session.execute(
            select(Enterprise.id, Enterprise.name).where(
                Enterprise.id.in_(
                    select(Agreement.enterprise_id).where(Agreement.student_id == student_id)
                )
            )
        ).all()
    )
    today = clock.today()
    events: list[Event] = []
    for a in db.session.scalars(select(Agreement).where(Agreement.student_id == student_id)):
        status = a.status_on(today)
        period = f"{a.starts_on:%Y-%m-%d} – {a.ends_on:%Y-%m-%d}"
        events.append(
            Event(
                _start_of(a.starts_on),
                "agreement",
                enterprises.get(a.enterprise_id, ""),
                period,
                status,
                url_args=("agreements.detail", {"agreement_id": a.id}),
            )
        )
        if a.terminated_on is not None:
            events.append(
                Event(
                    _start_of(a.terminated_on),
                    "termination",
                    enterprises.get(a.enterprise_id, ""),
                    a.termination_reason or "",
                    "terminated",
                    url_args=("agreements.detail", {"agreement_id": a.id}),
                )
            )
    sessions = db.session.execute(
        select(ServiceSession, Site.name)
        .join(Site, Site.id == ServiceSession.site_id)
        .where(ServiceSession.student_id == student_id)
        .order_by(ServiceSession.check_in_at.desc())
        .limit(TIMELINE_SESSIONS)
    ).all()
    for s, site_name in sessions:
        events.append(
            Event(
                s.check_in_at,
                "session",
                f"{enterprises.get(s.enterprise_id, '')} · {site_name}",
                _session_times(s),
                s.status,
                s.flag_list,
                ("checkin.session_detail", {"session_id": s.id}),
            )
        )
    for c in db.session.scalars(select(Correction).where(Correction.student_id == student_id)):
        events.append(
            Event(
                c.created_at,
                "correction",
                enterprises.get(c.enterprise_id, ""),
                c.note or "",
                CORRECTION_STATUS.get(c.status, c.status),
                url_args=("checkin.session_detail", {"session_id": c.session_id}),
            )
        )
    for e in db.session.scalars(select(Exemption).where(Exemption.student_id == student_id)):
        events.append(
            Event(
                e.created_at,
                "exemption",
                e.month,
                e.reason,
                "revoked" if e.revoked_at else None,
                url_args=(
                    "compliance.student_month",
                    {"student_id": student_id, "month": e.month},
                ),
            )
        )
    events.sort(key=lambda ev: ev.at, reverse=True)
    return Timeline(student, events, _month_rows(student_id, today))


def _month_rows(student_id: int, today: date) -> list[MonthRow]:
    """The student's months from the first agreement to now, newest first."""
    first = db.session.scalar(
        select(func.min(Agreement.starts_on)).where(Agreement.student_id == student_id)
    )
    if first is None:
        return []
    current = month_of(today)
    months, month = [], max(month_of(first), add_months(current, -(TIMELINE_MONTHS - 1)))
    while month <= current:
        months.append(month)
        month = add_months(month, 1)
    ids = select(Student.id).where(Student.id == student_id)
    by_month = compute_rows_by_month(months, ids, today=today)
    return [row for m in reversed(months) for row in by_month.get(m, [])]


def _session_times(s: ServiceSession) -> str:
    start = clock.to_local(s.check_in_at)
    if s.check_out_at is None:
        return f"{start:%H:%M} –"
    return f"{start:%H:%M} – {clock.to_local(s.check_out_at):%H:%M}"
