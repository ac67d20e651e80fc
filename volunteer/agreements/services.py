"""Use cases for agreements (R5, R6): create, sign, terminate, list."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import wraps
from typing import Any, TypeVar

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.exc import OperationalError

from .. import audit, clock, events
from ..auth import scope
from ..auth.models import User
from ..auth.services import commit_or_conflict
from ..calendar.rules import month_of, months_between
from ..database import lock_rows
from ..enterprises.models import Enterprise
from ..errors import N_, Conflict, Forbidden, ValidationError
from ..extensions import db
from ..students.models import Student
from ..unions.services import union_path
from . import queries, rules
from .models import Agreement

F = TypeVar("F", bound=Callable[..., Any])
EARLIEST_SIGNED_ON = date(2000, 1, 1)


def race_safe(fn: F) -> F:
    """Turn a lost race (deadlock, lock timeout, busy database) into 409 conflict."""

    @wraps(fn)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except OperationalError as exc:
            db.session.rollback()
            raise Conflict("conflict", N_("操作与其他请求同时发生，请重试。")) from exc

    return wrapped  # type: ignore[return-value]


def _paths(student_id: int, enterprise_id: int) -> dict[str, str | None]:
    """Return the audit paths: the student's union and the enterprise's union."""
    student_code = db.session.scalar(select(Student.union_code).where(Student.id == student_id))
    enterprise_code = db.session.scalar(
        select(Enterprise.union_code).where(Enterprise.id == enterprise_id)
    )
    return {
        "union_path": union_path(student_code),
        "other_union_path": union_path(enterprise_code),
    }


def _check_signed_on(signed_on: date | None, ends_on: date, today: date) -> None:
    if signed_on is None:
        return
    if signed_on > today:
        raise ValidationError.field("signed_on", N_("签署日期不能晚于今天"))
    if signed_on > ends_on:
        raise ValidationError.field("signed_on", N_("签署日期不能晚于协议结束日期"))
    if signed_on < EARLIEST_SIGNED_ON:
        raise ValidationError.field("signed_on", N_("签署日期无效"))


def _check_places(student: Student, enterprise: Enterprise, start: date, end: date) -> None:
    """Refuse an overlap with the student's agreements, then a day over capacity (R6)."""
    mine = queries.spans_of(start=start, end=end, student_id=student.id)
    if any(rules.overlaps(start, end, *span) for _agreement, span in mine):
        raise Conflict("agreement_overlap", N_("该学生在这段日期内已有协议，协议日期不能重叠。"))
    theirs = queries.spans_of(start=start, end=end, enterprise_id=enterprise.id)
    spans = [(low, high, agreement.student_id) for agreement, (low, high) in theirs]
    if not rules.capacity_allows(spans, start, end, student.id, enterprise.capacity):
        raise Conflict(
            "capacity_full",
            N_("该企业在这段日期内名额已满（容量 %(n)s 人）。", n=enterprise.capacity),
        )


def _send_changed(agreement: Agreement, actor: User | None) -> None:
    months = months_between(month_of(agreement.starts_on), month_of(agreement.ends_on))
    events.agreement_changed.send(
        agreement.id,
        student_id=agreement.student_id,
        enterprise_id=agreement.enterprise_id,
        months=set(months),
        actor=actor,
    )


@race_safe
def create_agreement(
    actor: User,
    *,
    student_id: int,
    enterprise_id: int,
    starts_on: date,
    ends_on: date,
    kind: str | None = None,
    monthly_hours: int | None = None,
    allow_workdays: bool | None = None,
    signed_on: date | None = None,
    now: datetime | None = None,
) -> Agreement:
    """Create an agreement for a student in the actor's scope (a paper one with `signed_on`)."""
    if actor.role != "union_staff":
        raise Forbidden()
    now = now or clock.now()
    today = clock.to_local(now).date()
    student = scope.get_or_404(scope.managed_students(actor), Student, student_id)
    enterprise = scope.get_or_404(scope.enterprises(actor), Enterprise, enterprise_id)
    terms = rules.agreement_terms(kind, monthly_hours, allow_workdays)
    rules.validate_dates(starts_on, ends_on)
    _check_signed_on(signed_on, ends_on, today)
    # Lock what the checks read, student before enterprise everywhere (no deadlock cycle);
    # then re-read the capacity, which may have changed before the lock was ours.
    lock_rows(student, enterprise)
    db.session.refresh(enterprise)
    _check_places(student, enterprise, starts_on, ends_on)
    agreement = Agreement(
        student_id=student.id,
        enterprise_id=enterprise.id,
        starts_on=starts_on,
        ends_on=ends_on,
        paper_signed_on=signed_on,
        created_by_id=actor.id,
        created_at=now,
        **terms,
    )
    db.session.add(agreement)
    db.session.flush()
    _send_changed(agreement, actor)
    audit.record(
        actor,
        "created",
        "agreement",
        agreement.id,
        after=agreement.to_dict(today),
        **_paths(student.id, enterprise.id),
    )
    commit_or_conflict()
    return agreement


def get_readable(actor: User, agreement_id: int) -> Agreement:
    """Return an agreement the actor may read (both sides' unions, its enterprise, its student)."""
    return scope.get_or_404(scope.agreements(actor), Agreement, agreement_id)


@race_safe
def sign_agreement(actor: User, agreement_id: int, now: datetime | None = None) -> Agreement:
    """Sign for the student (their own) or the enterprise (its staff); idempotent; commits."""
    if actor.role not in ("student", "enterprise_staff"):
        raise Forbidden()
    now = now or clock.now()
    today = clock.to_local(now).date()
    agreement = get_readable(actor, agreement_id)
    lock_rows(agreement)
    db.session.refresh(agreement)
    column = "student_signed_at" if actor.role == "student" else "enterprise_signed_at"
    if agreement.terminated_on is not None:
        raise Conflict("invalid_state", N_("协议已终止，不能签署。"))
    if getattr(agreement, column) is not None or agreement.paper_signed_on is not None:
        return agreement  # signed already: a repeated tap changes nothing
    if agreement.ends_on < today:
        raise Conflict("invalid_state", N_("协议期限已过，不能再签署。"))
    before = agreement.to_dict(today)
    setattr(agreement, column, now)
    db.session.flush()
    _send_changed(agreement, actor)
    audit.record(
        actor,
        "signed",
        "agreement",
        agreement.id,
        before=before,
        after=agreement.to_dict(today),
        **_paths(agreement.student_id, agreement.enterprise_id),
    )
    commit_or_conflict()
    return agreement


def _closed_month_guard(
    actor: User, agreement: Agreement, effective_on: date, today: date, reason: str
) -> list[str]:
    """Refuse a backdated termination into a closed month (R21); return overridden months."""
    from ..compliance import locks

    last_affected = min(agreement.last_day, today)
    if effective_on > last_affected:
        return []
    months = months_between(month_of(effective_on), month_of(last_affected))
    if locks.ensure_months_open(actor, agreement.student_id, months, reason):
        return sorted(locks.closed_months(agreement.student_id, months))
    return []


@race_safe
def terminate_agreement(
    actor: User, agreement_id: int, reason: str, effective_on: date, now: datetime | None = None
) -> Agreement:
    """End an agreement early from `effective_on` (the first day no longer covered); commits."""
    if actor.role not in ("union_staff", "enterprise_staff"):
        raise Forbidden()
    now = now or clock.now()
    today = clock.to_local(now).date()
    agreement = get_readable(actor, agreement_id)
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    if not reason:
        raise ValidationError.field("reason", N_("请填写终止原因"))
    if len(reason) > 1000:
        raise ValidationError.field("reason", N_("终止原因最多1000字"))
    if not agreement.starts_on <= effective_on <= agreement.ends_on:
        raise ValidationError.field("effective_on", N_("终止生效日期应在协议期限之内"))
    lock_rows(agreement)
    db.session.refresh(agreement)
    if agreement.terminated_on is not None:
        raise Conflict("invalid_state", N_("协议已终止。"))
    if agreement.status_on(today) == "ended":
        raise Conflict("invalid_state", N_("协议已到期结束，无需终止。"))
    overridden = _closed_month_guard(actor, agreement, effective_on, today, reason)
    before = agreement.to_dict(today)
    agreement.terminated_on = effective_on
    agreement.termination_reason = reason
    agreement.terminated_at = now
    audit.record(
        actor,
        "terminated",
        "agreement",
        agreement.id,
        before=before,
        after=agreement.to_dict(today),
        **_paths(agreement.student_id, agreement.enterprise_id),
    )
    db.session.flush()
    if overridden:
        events.hours_changed.send(agreement.student_id, months=set(overridden), actor=actor)
    _send_changed(agreement, actor)
    commit_or_conflict()
    return agreement


def list_agreements(
    actor: User,
    *,
    student_id: int | None = None,
    enterprise_id: int | None = None,
    status: str | None = None,
    today: date | None = None,
) -> Select:
    """Select the agreements the actor may read, filtered; status is the derived one."""
    stmt = scope.agreements(actor)
    if student_id is not None:
        stmt = stmt.where(Agreement.student_id == student_id)
    if enterprise_id is not None:
        stmt = stmt.where(Agreement.enterprise_id == enterprise_id)
    if status:
        if status not in rules.STATUSES:
            raise ValidationError.field(
                "status", N_("状态应为 %(values)s", values=" / ".join(rules.STATUSES))
            )
        stmt = stmt.where(queries.status_condition(status, today or clock.today()))
    return stmt.order_by(Agreement.starts_on.desc(), Agreement.id.desc())


def with_names(stmt: Select) -> Select:
    """Add the student's name and university and the enterprise's name to an agreement select."""
    return (
        stmt.add_columns(Student.name, Student.university, Enterprise.name)
        .join(Student, Student.id == Agreement.student_id)
        .join(Enterprise, Enterprise.id == Agreement.enterprise_id)
    )


def default_period(today: date) -> tuple[date, date]:
    """Return the period matching looks at when none is given: the coming six months."""
    return today, today + timedelta(days=182)


def agreement_page(
    actor: User, *, status: str | None, enterprise_id: int | None, q: str, page: int, per_page: int
) -> tuple[int, list[Any]]:
    """Return (total, rows with names) of one page of the agreements list, searched by name."""
    stmt = with_names(list_agreements(actor, status=status, enterprise_id=enterprise_id))
    if q:
        stmt = stmt.where(
            or_(
                Student.name.contains(q, autoescape=True),
                Enterprise.name.contains(q, autoescape=True),
            )
        )
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = db.session.execute(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    return total, rows


def unmatched_students(actor: User, q: str, today: date, limit: int) -> list[Student]:
    """Students in scope for the picker: a search, or those with no current agreement."""
    stmt = scope.managed_students(actor)
    if q:
        stmt = stmt.where(
            or_(
                Student.name.contains(q, autoescape=True),
                Student.phone.contains(q, autoescape=True),
            )
        )
    else:
        current = select(Agreement.student_id).where(
            Agreement.ends_on >= today,
            or_(Agreement.terminated_on.is_(None), Agreement.terminated_on > today),
        )
        stmt = stmt.where(Student.id.not_in(current))
    return list(db.session.scalars(stmt.order_by(Student.name, Student.id).limit(limit)))


def parties_of(agreement: Agreement) -> tuple[Student | None, Enterprise | None]:
    """Return the student and the enterprise an agreement binds."""
    return (
        db.session.get(Student, agreement.student_id),
        db.session.get(Enterprise, agreement.enterprise_id),
    )


def own_agreements(actor: User, today: date) -> list[Any]:
    """Return (agreement, enterprise) rows of a student's own agreements."""
    stmt = (
        list_agreements(actor, today=today)
        .add_columns(Enterprise)
        .join(Enterprise, and_(Enterprise.id == Agreement.enterprise_id))
    )
    return list(db.session.execute(stmt).all())
