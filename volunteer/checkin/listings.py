"""Read models for the check-in pages: sessions with names, month totals, rosters,
correction lists and choices — each a bounded number of queries, whatever the rows."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import Select, func, select

from .. import clock
from ..agreements.models import Agreement
from ..auth import scope
from ..auth.models import User
from ..calendar.rules import add_months
from ..enterprises.models import Enterprise, Site
from ..extensions import db
from ..students.models import Student
from . import sessions
from .corrections import correction_query
from .models import Correction, ServiceSession, SessionMonth


def with_names(stmt: Select) -> Select:
    """Add student, site and enterprise names to a select of sessions."""
    return (
        stmt.add_columns(Student.name, Site.name, Enterprise.name)
        .join(Student, Student.id == ServiceSession.student_id)
        .join(Site, Site.id == ServiceSession.site_id)
        .join(Enterprise, Enterprise.id == ServiceSession.enterprise_id)
    )


def month_totals(student_id: int, month: str) -> dict[str, int]:
    """Return a student's minutes in a month by status (confirmed, pending)."""
    rows = db.session.execute(
        select(SessionMonth.status, func.sum(SessionMonth.minutes))
        .where(SessionMonth.student_id == student_id, SessionMonth.month == month)
        .group_by(SessionMonth.status)
    )
    totals = {"confirmed": 0, "pending": 0}
    for status, minutes in rows:
        totals[status] = int(minutes or 0)
    return totals


def recent_months(month: str, count: int = 6) -> list[str]:
    """Return `month` and the months before it, newest first, for a month picker."""
    newest = max(month or "", clock.current_month())
    return [add_months(newest, -i) for i in range(count)]


def corrections_of(actor: User, status: str | None = None, limit: int = 50) -> list[tuple]:
    """Return (correction, session, student name, site name) rows, newest first."""
    stmt = (
        correction_query(actor, status)
        .add_columns(ServiceSession, Student.name, Site.name)
        .join(ServiceSession, ServiceSession.id == Correction.session_id)
        .join(Student, Student.id == Correction.student_id)
        .join(Site, Site.id == ServiceSession.site_id)
        .limit(limit)
    )
    return [tuple(row) for row in db.session.execute(stmt)]


def roster(actor: User, now: datetime | None = None) -> list[tuple]:
    """Return (session, student name, phone, site name) of everyone checked in now; a
    session past the cap is not (R13), whether or not it is stored as closed yet."""
    now = now or clock.now()
    cutoff = now - timedelta(hours=sessions.max_session_hours())
    stmt = (
        scope.sessions(actor)
        .add_columns(Student.name, Student.phone, Site.name)
        .join(Student, Student.id == ServiceSession.student_id)
        .join(Site, Site.id == ServiceSession.site_id)
        .where(ServiceSession.status == "open", ServiceSession.check_in_at > cutoff)
        .order_by(Site.name, ServiceSession.check_in_at)
    )
    return [tuple(row) for row in db.session.execute(stmt)]


RECENT_DAYS = 31  # a manual entry may fill a gap of the past month


def student_choices(actor: User, today: date | None = None) -> list[tuple[int, str]]:
    """Return (id, label) of the students whose agreement with the actor's enterprise is
    active, or was until recently: only those a manual entry can succeed for."""
    today = today or clock.today()
    stmt = (
        select(Student, Agreement)
        .join(Agreement, Agreement.student_id == Student.id)
        .where(Agreement.enterprise_id == actor.enterprise_id, scope.student_filter(actor))
        .order_by(Student.name, Student.id)
    )
    out: dict[int, str] = {}
    for student, agreement in db.session.execute(stmt):
        last = min(agreement.ends_on, today)
        if agreement.terminated_on is not None:
            last = min(last, agreement.terminated_on - timedelta(days=1))
        recent = (today - last).days <= RECENT_DAYS
        if agreement.status_on(today) == "active" or (
            recent and agreement.status_on(last) == "active"
        ):
            out[student.id] = f"{student.name}（{student.university}）"
    return list(out.items())


def site_choices(actor: User) -> list[tuple[int, str]]:
    """Return (id, name) of the sites the actor manages."""
    stmt = scope.sites(actor).order_by(Site.name, Site.id)
    return [(s.id, s.name) for s in db.session.scalars(stmt)]


def enterprise_sites(actor: User) -> list[Site]:
    """Return the sites the actor manages, by name."""
    return list(db.session.scalars(scope.sites(actor).order_by(Site.name, Site.id)))


def session_context(s: ServiceSession) -> dict:
    """Return the names around one session, for its detail page."""
    student = db.session.get(Student, s.student_id)
    return {
        "student": student,
        "site": db.session.get(Site, s.site_id),
        "enterprise": db.session.get(Enterprise, s.enterprise_id),
        "corrections": list(
            db.session.scalars(
                select(Correction)
                .where(Correction.session_id == s.id)
                .order_by(Correction.created_at.desc())
            )
        ),
    }


def pending_count(actor: User) -> int:
    """Count the sessions waiting for the actor's enterprise: pending or auto-closed."""
    stmt = select(func.count(ServiceSession.id)).where(
        ServiceSession.enterprise_id == actor.enterprise_id,
        ServiceSession.status.in_(("pending", "auto_closed")),
    )
    return db.session.scalar(stmt) or 0


def open_corrections_count(actor: User) -> int:
    """Count the open correction requests the actor can decide on."""
    stmt = correction_query(actor, "open").with_only_columns(func.count(Correction.id))
    return db.session.scalar(stmt.order_by(None)) or 0


def site_by_id(site_id: int) -> Site | None:
    """Return one site by id, unscoped (callers have already checked access or a seal)."""
    return db.session.get(Site, site_id)


def enterprise_by_id(enterprise_id: int) -> Enterprise | None:
    """Return one enterprise by id, unscoped (callers have already checked access)."""
    return db.session.get(Enterprise, enterprise_id)
