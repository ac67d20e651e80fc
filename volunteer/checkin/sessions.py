"""Session reads, and the writes every path shares: auto-close (R13), month rows (R15),
the per-student lock, audit paths and the location purge (R28)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import (
    ColumnElement,
    ScalarSelect,
    Select,
    bindparam,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError, OperationalError

from .. import audit, clock, events
from ..auth import scope
from ..auth.models import User
from ..calendar.rules import month_bounds, parse_month
from ..enterprises.models import Enterprise
from ..errors import N_, ValidationError
from ..extensions import db
from ..students.models import Student
from ..unions.models import Union
from . import rules
from .models import FLAGS, SESSION_STATUSES, ScanAttempt, ServiceSession, SessionMonth

# Only these statuses carry minutes into the month rows (R15, R16).
COUNTING_STATUSES = ("pending", "confirmed")
LOCATION_RETENTION_DAYS = 90


def max_session_hours() -> float:
    """Return the auto-close cap in hours (config MAX_SESSION_HOURS)."""
    return float(current_app.config["MAX_SESSION_HOURS"])


def with_flags(current: str, *added: str | None) -> str:
    """Return a flags string with `added` merged in (sorted, comma-separated)."""
    flags = {f for f in current.split(",") if f} | {f for f in added if f}
    return ",".join(sorted(flags))


def snapshot(s: ServiceSession) -> dict:
    """Return the audited view of a session (no coordinates)."""
    data = s.to_dict()
    keys = ("status", "check_in_at", "check_out_at", "minutes", "flags", "reason", "site_id")
    return {k: data[k] for k in keys}


def audit_paths_columns(student_id: Any, enterprise_id: Any) -> tuple[ScalarSelect, ScalarSelect]:
    """Return the union paths of a session's two sides as two scalar subqueries, to read
    alone (audit_paths) or inside another read (values or bound parameters)."""
    student_path = (
        select(Union.path)
        .join(Student, Student.union_code == Union.code)
        .where(Student.id == student_id)
        .scalar_subquery()
    )
    enterprise_path = (
        select(Union.path)
        .join(Enterprise, Enterprise.union_code == Union.code)
        .where(Enterprise.id == enterprise_id)
        .scalar_subquery()
    )
    return student_path, enterprise_path


def audit_paths(student_id: int, enterprise_id: int) -> dict[str, str | None]:
    """Return the union paths of a session's two sides, for audit entries (one query)."""
    row = db.session.execute(select(*audit_paths_columns(student_id, enterprise_id))).one()
    return {"union_path": row[0], "other_union_path": row[1]}


def record_change(
    actor: User | None,
    action: str,
    s: ServiceSession,
    before: dict | None,
    paths: dict[str, str | None] | None = None,
) -> None:
    """Audit a change to a session (entity "session", both unions may read it); `paths`
    are the audit paths when the caller read them already (the scan inserts at once)."""
    if paths is None:
        audit.record(
            actor,
            action,
            "session",
            s.id,
            before=before,
            after=snapshot(s),
            **audit_paths(s.student_id, s.enterprise_id),
        )
    else:
        audit.write(actor, action, "session", s.id, before=before, after=snapshot(s), **paths)


_LOCK_STUDENT = select(Student.id).where(Student.id == bindparam("student_id")).with_for_update()


def lock_student(student_id: int) -> None:
    """Serialise every change to one student's sessions (row lock on PostgreSQL)."""
    if db.session.get_bind().dialect.name == "sqlite":
        return  # BEGIN IMMEDIATE already serialises writers.
    db.session.execute(_LOCK_STUDENT, {"student_id": student_id})


def session_months(s: ServiceSession) -> set[str]:
    """Return the local months a session's minutes belong to."""
    if s.check_out_at is None:
        local = clock.to_local(s.check_in_at)
        return {f"{local.year:04d}-{local.month:02d}"}
    return set(rules.split_minutes_by_month(s.check_in_at, s.check_out_at, clock.business_tz()))


def sync_months(s: ServiceSession, *, no_rows: bool = False) -> None:
    """Rewrite a session's SessionMonth rows from its times and status (R15); `no_rows`
    says it has none yet: inserted in this transaction, or open until now (an open
    session has no minutes, so no rows), and nothing needs reading back."""
    db.session.flush()  # the session needs its id
    parts: dict[str, int] = {}
    if s.check_out_at is not None:
        parts = rules.split_minutes_by_month(s.check_in_at, s.check_out_at, clock.business_tz())
    counts = s.status in COUNTING_STATUSES
    existing: dict[str, SessionMonth] = {}
    if not no_rows:
        existing = {
            row.month: row
            for row in db.session.scalars(
                select(SessionMonth).where(SessionMonth.session_id == s.id)
            )
        }
    # Update in place: a delete and an insert of the same month would trip the unique key.
    for month, minutes in parts.items():
        row = existing.pop(month, None)
        if row is None:
            row = SessionMonth(session_id=s.id, month=month)
            db.session.add(row)
        row.student_id = s.student_id
        row.enterprise_id = s.enterprise_id
        row.agreement_id = s.agreement_id
        row.minutes = minutes if counts else 0
        row.status = s.status
    for row in existing.values():
        db.session.delete(row)


def close_stale(
    now: datetime, *, student_ids: Iterable[int] | None = None, within: Select | None = None
) -> int:
    """Apply R13 in the current transaction, without committing: close the open sessions
    past the cap of `student_ids`, or among those `within` selects, or (neither) all."""
    hours = max_session_hours()
    cutoff = now - timedelta(hours=hours)
    stmt = (
        select(ServiceSession.id)
        if within is None
        else within.with_only_columns(ServiceSession.id).order_by(None)
    )
    stmt = stmt.where(ServiceSession.status == "open", ServiceSession.check_in_at <= cutoff)
    if student_ids is not None:
        stmt = stmt.where(ServiceSession.student_id.in_(list(student_ids)))
    closed = 0
    for session_id in db.session.scalars(stmt).all():
        s = db.session.get(ServiceSession, session_id)
        lock_student(s.student_id)
        db.session.refresh(s)  # another request may have closed it meanwhile
        closed += auto_close_if_stale(s, now, hours)
    return closed


def auto_close_if_stale(s: ServiceSession, now: datetime, hours: float) -> bool:
    """Store R13 on one open session past the cap (caller holds the student's lock)."""
    if s.status != "open" or not rules.is_stale(s.check_in_at, now, hours):
        return False
    before = snapshot(s)
    s.status = "auto_closed"
    s.check_out_at = rules.auto_close_at(s.check_in_at, hours)
    s.minutes = 0
    s.flags = with_flags(s.flags, "auto_closed")
    s.updated_at = now
    sync_months(s)
    record_change(None, "auto_closed", s, before)
    db.session.flush()
    events.session_auto_closed.send(s.id, student_id=s.student_id, enterprise_id=s.enterprise_id)
    return True


def close_stale_sessions(now: datetime | None = None) -> int:
    """Store R13 for every open session in the province past the cap; return how many;
    commits. The `close-stale-sessions` command (cron) runs it; use cases apply R13 to
    the sessions they touch with close_stale, in their own transaction."""
    now = now or clock.now()
    try:
        closed = close_stale(now)
        db.session.commit()
    except (IntegrityError, OperationalError):
        # A concurrent sweep got there first; the next read will finish the job.
        db.session.rollback()
        return 0
    return closed


def open_session_of(student_id: int, now: datetime | None = None) -> ServiceSession | None:
    """Return the student's open session, treating one past the cap as closed (no write)."""
    now = now or clock.now()
    cutoff = now - timedelta(hours=max_session_hours())
    return db.session.scalars(
        select(ServiceSession).where(
            ServiceSession.student_id == student_id,
            ServiceSession.status == "open",
            ServiceSession.check_in_at > cutoff,
        )
    ).first()


def local_month_range(month: str) -> tuple[datetime, datetime]:
    """Return the UTC-comparable [start, end) of a local YYYY-MM month."""
    first, last = month_bounds(parse_month(month))
    if not 2000 <= first.year <= 2100:
        raise ValidationError.field("month", N_("年份应在 2000–2100 之间。"))
    tz = clock.business_tz()
    start = datetime(first.year, first.month, first.day, tzinfo=tz)
    end = datetime(last.year, last.month, last.day, tzinfo=tz) + timedelta(days=1)
    return start, end


def touches_month(month: str) -> ColumnElement[bool]:
    """Filter: sessions whose half-open interval meets the local month."""
    start, end = local_month_range(month)
    return (ServiceSession.check_in_at < end) & or_(
        ServiceSession.check_out_at > start,
        (ServiceSession.check_out_at.is_(None)) & (ServiceSession.check_in_at >= start),
    )


def has_flag(flag: str) -> ColumnElement[bool]:
    """Filter: sessions carrying a flag ("any": at least one)."""
    if flag == "any":
        return ServiceSession.flags != ""
    if flag not in FLAGS:
        raise ValidationError.field("flag", N_("未知标记。"))
    return (literal(",") + ServiceSession.flags + literal(",")).like(f"%,{flag},%")


def session_query(
    actor: User,
    *,
    month: str | None = None,
    student_id: int | None = None,
    enterprise_id: int | None = None,
    site_id: int | None = None,
    status: str | None = None,
    flag: str | None = None,
) -> Select:
    """Select the actor's sessions with filters, newest first (no auto-close)."""
    stmt = scope.sessions(actor)
    if month:
        stmt = stmt.where(touches_month(month))
    for column, value in (
        (ServiceSession.student_id, student_id),
        (ServiceSession.enterprise_id, enterprise_id),
        (ServiceSession.site_id, site_id),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if status:
        statuses = status.split(",")
        if not set(statuses) <= set(SESSION_STATUSES):
            raise ValidationError.field("status", N_("未知状态。"))
        stmt = stmt.where(ServiceSession.status.in_(statuses))
    if flag:
        stmt = stmt.where(has_flag(flag))
    return stmt.order_by(ServiceSession.check_in_at.desc(), ServiceSession.id.desc())


def list_sessions(actor: User, now: datetime | None = None, **filters: object) -> Select:
    """Apply R13 to the actor's sessions (no commit), then select them with filters,
    newest first."""
    close_stale(now or clock.now(), within=scope.sessions(actor))
    return session_query(actor, **filters)  # type: ignore[arg-type]


def get_session(actor: User, session_id: int, now: datetime | None = None) -> ServiceSession:
    """Load one session in the actor's scope (404 outside it), R13 applied (no commit)."""
    s = scope.get_or_404(scope.sessions(actor), ServiceSession, session_id)
    close_stale(now or clock.now(), student_ids=[s.student_id])
    return s


def purge_locations(now: datetime | None = None) -> int:
    """Delete raw coordinates and device ids older than 90 days, keeping distance and
    verdict (R28)."""
    now = now or clock.now()
    cutoff = now - timedelta(days=LOCATION_RETENTION_DAYS)
    result = db.session.execute(
        update(ServiceSession)
        .where(
            ServiceSession.check_in_at < cutoff,
            or_(
                ServiceSession.latitude.is_not(None),
                ServiceSession.longitude.is_not(None),
                ServiceSession.accuracy_m.is_not(None),
            ),
        )
        .values(latitude=None, longitude=None, accuracy_m=None)
        .execution_options(synchronize_session=False)
    )
    # A device id locates a phone as surely as coordinates do: it goes with them.
    db.session.execute(
        update(ScanAttempt)
        .where(ScanAttempt.at < cutoff, ScanAttempt.device_id.is_not(None))
        .values(device_id=None)
        .execution_options(synchronize_session=False)
    )
    events.locations_purged.send(cutoff)
    db.session.commit()
    return result.rowcount or 0
