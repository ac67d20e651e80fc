"""Use cases for agreements (R5, R6): create, sign, list (terminate and date changes:
changes.py)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, func, or_, select

from .. import audit, clock, events
from ..auth import scope
from ..auth.models import User
from ..auth.services import commit_or_conflict
from ..calendar.rules import month_of, months_between
from ..database import lock_rows, race_safe
from ..enterprises.models import Enterprise
from ..errors import N_, Conflict, Forbidden, ValidationError
from ..extensions import db
from ..periods import guard
from ..students.models import Student
from ..unions.services import union_path
from . import queries, rules
from .models import Agreement

EARLIEST_SIGNED_ON = date(2000, 1, 1)


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


def guard_coverage(
    actor: User,
    student_id: int,
    enterprise_id: int,
    first: date,
    last: date,
    today: date,
    override_reason: object,
    action: str,
) -> set[str]:
    """Pass the month guard (R29) for days [first, last] gaining or losing a requirement;
    return the months reached so far (a month still to come cannot be locked)."""
    last = min(last, today)
    if first > last:
        return set()
    months = set(months_between(month_of(first), month_of(last)))
    guard.ensure_changeable(
        actor,
        student_id,
        months,
        enterprise_id=enterprise_id,
        override_reason=override_reason,
        action=action,
    )
    return months


def announce(actor: User, agreement: Agreement, months: set[str]) -> None:
    """Send agreement_changed, and hours_changed for the months it reached (after flush)."""
    db.session.flush()
    events.agreement_changed.send(
        agreement.id,
        student_id=agreement.student_id,
        enterprise_id=agreement.enterprise_id,
        months=set(months),
        actor=actor,
    )
    if months:
        events.hours_changed.send(agreement.student_id, months=set(months), actor=actor)


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
    override_reason: object = None,
    now: datetime | None = None,
    **term_values: Any,
) -> Agreement:
    """Create an agreement for a student in the actor's scope (a paper one with `signed_on`).
    A signed one reaching back into a closed month needs the union's `override_reason`;
    `term_values` are the terms and insurance of R37 (rules.TERM_FIELDS)."""
    if actor.role != "union_staff":
        raise Forbidden()
    unknown = set(term_values) - set(rules.TERM_FIELDS)
    if unknown:
        raise TypeError(f"unknown agreement fields: {sorted(unknown)}")
    now = now or clock.now()
    today = clock.to_local(now).date()
    student = scope.get_or_404(scope.managed_students(actor), Student, student_id)
    enterprise = scope.get_or_404(scope.enterprises(actor), Enterprise, enterprise_id)
    terms = rules.agreement_terms(kind, monthly_hours, allow_workdays)
    rules.validate_dates(starts_on, ends_on)
    _check_signed_on(signed_on, ends_on, today)
    term_values = rules.clean_terms(term_values)
    # Lock what the checks read, student before enterprise everywhere (no deadlock cycle);
    # then re-read the capacity, which may have changed before the lock was ours.
    lock_rows(student, enterprise)
    db.session.refresh(enterprise)
    _check_places(student, enterprise, starts_on, ends_on)
    months: set[str] = set()
    if signed_on is not None:
        months = guard_coverage(
            actor, student.id, enterprise.id, starts_on, ends_on, today, override_reason, "created"
        )
    agreement = Agreement(
        student_id=student.id,
        enterprise_id=enterprise.id,
        starts_on=starts_on,
        ends_on=ends_on,
        paper_signed_on=signed_on,
        created_by_id=actor.id,
        created_at=now,
        **terms,
        **term_values,
    )
    db.session.add(agreement)
    db.session.flush()
    audit.record(
        actor,
        "created",
        "agreement",
        agreement.id,
        after=agreement.to_dict(today),
        **_paths(student.id, enterprise.id),
    )
    announce(actor, agreement, months)
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
    months: set[str] = set()
    if rules.is_signed(
        student_signed_at=agreement.student_signed_at,
        enterprise_signed_at=agreement.enterprise_signed_at,
        paper_signed_on=None,
        today=today,
    ):
        # The second signature puts the agreement in force: its past days gain a requirement.
        months = guard_coverage(
            actor,
            agreement.student_id,
            agreement.enterprise_id,
            agreement.starts_on,
            agreement.last_day,
            today,
            None,
            "signed",
        )
    audit.record(
        actor,
        "signed",
        "agreement",
        agreement.id,
        before=before,
        after=agreement.to_dict(today),
        **_paths(agreement.student_id, agreement.enterprise_id),
    )
    announce(actor, agreement, months)
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
