"""Decisions on sessions (R16, R17, R29, R30, R32): confirm (one or many), reject, adjust,
and manual entry — each locked per student, month-guarded, audited, committed once.

The enterprise decides while its month is open. Once the month is closed (R21) or the
enterprise has attested it (R30), only union staff of the student's union decide, each
decision with a reason (the override), and the attestation goes stale.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select

from .. import clock, events
from ..auth import scope
from ..auth.models import User
from ..enterprises.models import Site
from ..errors import N_, Conflict, Forbidden, NotFound, ValidationError
from ..extensions import db
from ..periods import guard
from ..students.models import Student
from . import rules, sessions
from .coverage import active_agreement, day_allowed
from .models import ServiceSession
from .timechecks import check_long_day, check_times

MAX_REASON = 1000
MAX_BULK = 500


def clean_reason(reason: object, field: str = "reason", required: bool = True) -> str | None:
    """Return a stripped reason of at most 1000 characters (400 when missing or too long)."""
    if reason is None or (isinstance(reason, str) and not reason.strip()):
        if required:
            raise ValidationError.field(field, N_("请填写理由。"))
        return None
    if not isinstance(reason, str) or len(reason.strip()) > MAX_REASON:
        raise ValidationError.field(field, N_("最多 %(n)s 字。", n=MAX_REASON))
    return reason.strip()


def _enterprise_only(actor: User) -> None:
    if actor.role != "enterprise_staff":
        raise Forbidden()


def _deciders_only(actor: User) -> None:
    if actor.role not in ("enterprise_staff", "union_staff"):
        raise Forbidden()


def _union_must_manage(actor: User, student_id: int) -> None:
    """403 for union staff deciding on a student of another union (R30)."""
    if actor.role == "union_staff" and not guard.manages_student(actor, student_id):
        raise Forbidden("forbidden", N_("只有学生所属工会可以处理已结算或已签字确认月份的记录。"))


def _load_for_change(actor: User, session_id: int, now: datetime) -> ServiceSession:
    s = scope.get_or_404(scope.sessions(actor), ServiceSession, session_id)
    sessions.lock_student(s.student_id)
    db.session.refresh(s)  # see what a concurrent writer committed before the lock
    sessions.close_stale(now, student_ids=[s.student_id])
    return s


def _guard(
    actor: User,
    student_id: int,
    enterprise_id: int,
    months: Iterable[str],
    reason: str | None,
    action: str,
) -> guard.Clearance:
    """Apply R29/R30 before a decision: the enterprise in its open months, union staff
    of the student's union (with the decision's reason) in closed or attested ones."""
    clearance = guard.ensure_changeable(
        actor,
        student_id,
        months,
        enterprise_id=enterprise_id,
        override_reason=reason,
        reason_is_override=True,
        action=action,
    )
    if actor.role == "union_staff" and not (clearance.closed or clearance.attested):
        raise Conflict("invalid_state", N_("该月尚未结算或签字确认，请由企业处理服务记录。"))
    return clearance


def _decide(actor: User, s: ServiceSession, status: str, action: str, now: datetime) -> None:
    before = sessions.snapshot(s)
    s.status = status
    s.decided_at = now
    s.decided_by_id = actor.id
    s.updated_at = now
    sessions.sync_months(s)
    sessions.record_change(actor, action, s, before)


def _state_error(s: ServiceSession) -> Conflict:
    messages = {
        "open": N_("该服务尚未签退，不能处理。"),
        "auto_closed": N_("该记录为自动签退，须先调整为实际时间。"),
        "rejected": N_("该记录已被驳回。"),
        "confirmed": N_("该记录已确认。"),
    }
    return Conflict("invalid_state", messages.get(s.status, N_("记录状态不允许此操作。")))


def confirm_session(
    actor: User, session_id: int, reason: object = None, now: datetime | None = None
) -> ServiceSession:
    """Confirm a pending session's minutes (R16); confirming twice changes nothing.
    Union staff confirm only in a closed or attested month, with a reason."""
    _deciders_only(actor)
    now = now or clock.now()
    s = _load_for_change(actor, session_id, now)
    _union_must_manage(actor, s.student_id)
    text = clean_reason(reason) if actor.role == "union_staff" else None
    if s.status == "confirmed":
        return s
    if s.status != "pending":
        raise _state_error(s)
    months = sessions.session_months(s)
    _guard(actor, s.student_id, s.enterprise_id, months, text, "confirmed")
    if text is not None:
        s.reason = text
    _decide(actor, s, "confirmed", "confirmed", now)
    events.hours_changed.send(s.student_id, months=set(months), actor=actor)
    db.session.commit()
    return s


def _clean_ids(ids: object) -> list[int]:
    ok = isinstance(ids, list) and all(type(i) is int and 0 < i < 2**31 for i in ids)
    if not ok or not 1 <= len(ids) <= MAX_BULK:  # type: ignore[arg-type]
        raise ValidationError.field("ids", N_("应为 1–%(n)s 个记录编号。", n=MAX_BULK))
    return sorted(set(ids))  # type: ignore[arg-type]


def confirm_sessions(actor: User, ids: object, now: datetime | None = None) -> int:
    """Confirm many sessions at once, all or none; return how many changed (R16)."""
    _enterprise_only(actor)
    wanted = _clean_ids(ids)
    now = now or clock.now()
    found = db.session.scalars(scope.sessions(actor).where(ServiceSession.id.in_(wanted))).all()
    if len(found) != len(wanted):
        raise NotFound()
    student_ids = sorted({s.student_id for s in found})
    for student_id in student_ids:
        sessions.lock_student(student_id)
    for s in found:
        db.session.refresh(s)
    sessions.close_stale(now, student_ids=student_ids)
    bad = [s for s in found if s.status not in ("pending", "confirmed")]
    if bad:
        raise Conflict(
            "invalid_state",
            N_(
                "以下记录不能确认（进行中、已驳回或自动签退）：%(ids)s",
                ids=", ".join(str(s.id) for s in bad),
            ),
        )
    todo = [s for s in found if s.status == "pending"]
    by_student: dict[int, set[str]] = {}
    for s in todo:
        by_student.setdefault(s.student_id, set()).update(sessions.session_months(s))
    for student_id, months in by_student.items():
        _guard(actor, student_id, actor.enterprise_id, months, None, "confirmed")
    for s in todo:
        _decide(actor, s, "confirmed", "confirmed", now)
    for student_id, months in by_student.items():
        events.hours_changed.send(student_id, months=set(months), actor=actor)
    db.session.commit()
    return len(todo)


def reject_session(
    actor: User, session_id: int, reason: object, now: datetime | None = None
) -> ServiceSession:
    """Reject a session with a reason: its minutes never count (R16). Union staff
    reject only in a closed or attested month."""
    s = reject_uncommitted(actor, session_id, reason, now)
    db.session.commit()
    return s


def reject_uncommitted(
    actor: User, session_id: int, reason: object, now: datetime | None = None
) -> ServiceSession:
    """Reject a session as reject_session does, inside the caller's transaction (a use
    case of a higher feature that rejects sessions as one of its steps commits once)."""
    _deciders_only(actor)
    now = now or clock.now()
    s = _load_for_change(actor, session_id, now)
    _union_must_manage(actor, s.student_id)
    text = clean_reason(reason)
    if s.status not in ("pending", "confirmed", "auto_closed"):
        raise _state_error(s)
    months = sessions.session_months(s)
    _guard(actor, s.student_id, s.enterprise_id, months, text, "rejected")
    s.reason = text
    _decide(actor, s, "rejected", "rejected", now)
    events.hours_changed.send(s.student_id, months=set(months), actor=actor)
    return s


def apply_adjustment(
    actor: User,
    s: ServiceSession,
    check_in_at: object,
    check_out_at: object,
    reason: str,
    now: datetime,
    confirm_long_day: bool | None = None,
) -> set[str]:
    """Set a locked session's real times and confirm it (flag adjusted); no commit.
    Returns the months touched, for the hours_changed event."""
    new_in, new_out = check_times(s.student_id, check_in_at, check_out_at, now, exclude_id=s.id)
    check_long_day(s.student_id, new_in, new_out, confirm_long_day, exclude_id=s.id)
    new_months = set(rules.split_minutes_by_month(new_in, new_out, clock.business_tz()))
    months = sessions.session_months(s) | new_months
    _guard(actor, s.student_id, s.enterprise_id, months, reason, "adjusted")
    before = sessions.snapshot(s)
    s.check_in_at, s.check_out_at = new_in, new_out
    s.minutes = rules.whole_minutes(new_in, new_out)
    s.status = "confirmed"
    s.flags = sessions.with_flags(s.flags, "adjusted")
    s.reason = reason
    s.decided_at, s.decided_by_id, s.updated_at = now, actor.id, now
    sessions.sync_months(s)
    sessions.record_change(actor, "adjusted", s, before)
    return months


def adjust_session(
    actor: User,
    session_id: int,
    check_in_at: object,
    check_out_at: object,
    reason: object,
    now: datetime | None = None,
    *,
    confirm_long_day: bool | None = None,
) -> ServiceSession:
    """Correct a session's times with a reason; it becomes confirmed, flag adjusted (R16).
    Union staff of the student's union may do it only in a closed or attested month."""
    _deciders_only(actor)
    now = now or clock.now()
    s = _load_for_change(actor, session_id, now)
    _union_must_manage(actor, s.student_id)
    text = clean_reason(reason)
    months = apply_adjustment(actor, s, check_in_at, check_out_at, text, now, confirm_long_day)
    events.hours_changed.send(s.student_id, months=set(months), actor=actor)
    db.session.commit()
    return s


def enter_session(
    actor: User,
    student_id: object,
    site_id: object,
    check_in_at: object,
    check_out_at: object,
    reason: object,
    now: datetime | None = None,
    *,
    confirm_long_day: bool | None = None,
) -> ServiceSession:
    """Record a session by hand when the tools failed: confirmed, flag manual (R16, R17).
    Union staff of the student's union may enter one in a closed or attested month."""
    _deciders_only(actor)
    now = now or clock.now()
    if actor.role == "union_staff":
        student = scope.get_or_404(scope.managed_students(actor), Student, student_id)
        site = scope.get_or_404(select(Site), Site, site_id)
    else:
        student = scope.get_or_404(scope.students(actor), Student, student_id)
        site = scope.get_or_404(scope.sites(actor), Site, site_id)
    text = clean_reason(reason)
    sessions.lock_student(student.id)
    sessions.close_stale(now, student_ids=[student.id])
    new_in, new_out = check_times(student.id, check_in_at, check_out_at, now)
    check_long_day(student.id, new_in, new_out, confirm_long_day)
    day = clock.to_local(new_in).date()
    agreement = active_agreement(student.id, site.enterprise_id, day)
    if agreement is None:
        raise Conflict("no_active_agreement", N_("该学生在这一天没有与本企业生效的协议。"))
    if not day_allowed(day, agreement.allow_workdays):
        raise Conflict("day_not_allowed", N_("这一天不是该协议的可服务日。"))
    months = set(rules.split_minutes_by_month(new_in, new_out, clock.business_tz()))
    _guard(actor, student.id, site.enterprise_id, months, text, "entered_manually")
    s = ServiceSession(
        student_id=student.id,
        enterprise_id=site.enterprise_id,
        site_id=site.id,
        agreement_id=agreement.id,
        check_in_at=new_in,
        check_out_at=new_out,
        status="confirmed",
        flags="manual",
        reason=text,
        minutes=rules.whole_minutes(new_in, new_out),
        decided_at=now,
        decided_by_id=actor.id,
        created_at=now,
        updated_at=now,
    )
    db.session.add(s)
    sessions.sync_months(s)
    sessions.record_change(actor, "entered_manually", s, None)
    events.hours_changed.send(student.id, months=set(months), actor=actor)
    db.session.commit()
    return s
