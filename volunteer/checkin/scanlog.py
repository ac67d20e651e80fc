"""The scan log (R14): every attempt, for enterprise staff (their sites) and union staff."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import Select, select

from .. import clock
from ..auth import scope
from ..auth.models import User
from ..enterprises.models import Site
from ..errors import N_, Forbidden, ValidationError
from ..extensions import db
from ..students.models import Student
from .attempts import MESSAGES, SUCCESS_RESULTS
from .models import ScanAttempt

RESULTS = (*SUCCESS_RESULTS, *MESSAGES)


def scan_log(
    actor: User, *, day: date | None = None, site_id: int | None = None, result: str | None = None
) -> Select:
    """Select (attempt, student name, site name) rows in the actor's scope, newest first."""
    if actor.role not in ("enterprise_staff", "union_staff"):
        raise Forbidden()
    stmt = (
        select(ScanAttempt, Student.name, Site.name)
        .outerjoin(Student, Student.id == ScanAttempt.student_id)
        .outerjoin(Site, Site.id == ScanAttempt.site_id)
        .where(scope.scan_attempt_filter(actor))
    )
    if day is not None:
        tz = clock.business_tz()
        start = datetime(day.year, day.month, day.day, tzinfo=tz)
        stmt = stmt.where(ScanAttempt.at >= start, ScanAttempt.at < start + timedelta(days=1))
    if site_id is not None:
        stmt = stmt.where(ScanAttempt.site_id == site_id)
    if result == "refused":
        stmt = stmt.where(ScanAttempt.result.not_in(SUCCESS_RESULTS))
    elif result == "ok":
        stmt = stmt.where(ScanAttempt.result.in_(SUCCESS_RESULTS))
    elif result:
        if result not in RESULTS:
            raise ValidationError.field("result", N_("未知结果。"))
        stmt = stmt.where(ScanAttempt.result == result)
    return stmt.order_by(ScanAttempt.at.desc(), ScanAttempt.id.desc())


def log_sites(actor: User) -> list[Site]:
    """Return the sites an enterprise actor can filter the log by (none for union staff)."""
    if actor.role != "enterprise_staff":
        return []
    return list(db.session.scalars(scope.sites(actor).order_by(Site.name)))
