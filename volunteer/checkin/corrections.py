"""Correction requests (R16): a student proposes real times for one of their sessions;
the enterprise accepts (an adjustment) or declines with a note."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, select

from .. import audit, clock, events
from ..auth import scope
from ..auth.models import User
from ..errors import N_, Conflict, Forbidden, ValidationError
from ..extensions import db
from ..i18n import localize
from . import rules, sessions
from .decisions import apply_adjustment, clean_reason
from .models import CORRECTION_STATUSES, Correction, ServiceSession


def _record(actor: User, action: str, c: Correction, before: dict | None) -> None:
    audit.record(
        actor,
        action,
        "correction",
        c.id,
        before=before,
        after={k: v for k, v in c.to_dict().items() if k != "created_at"},
        **sessions.audit_paths(c.student_id, c.enterprise_id),
    )


def request_correction(
    actor: User,
    session_id: int,
    check_in_at: datetime | None,
    check_out_at: datetime | None,
    note: object,
    now: datetime | None = None,
) -> Correction:
    """Ask the enterprise to correct one of one's own sessions; commits."""
    if actor.role != "student":
        raise Forbidden()
    now = now or clock.now()
    s = scope.get_or_404(scope.sessions(actor), ServiceSession, session_id)
    sessions.close_stale(now, student_ids=[s.student_id])
    text = clean_reason(note, "note")
    if check_in_at is None and check_out_at is None:
        raise ValidationError.field("check_out_at", N_("请填写要更正的签到或签退时间。"))
    real_out = check_out_at
    if real_out is None and s.status not in ("open", "auto_closed"):
        real_out = s.check_out_at
    if real_out is None:
        raise ValidationError.field("check_out_at", N_("请填写实际签退时间。"))
    rules.validate_session_times(check_in_at or s.check_in_at, real_out, now)
    rules.validate_session_length(
        check_in_at or s.check_in_at, real_out, sessions.max_session_hours()
    )
    sessions.lock_student(s.student_id)
    waiting = select(Correction.id).where(
        Correction.session_id == s.id, Correction.status == "open"
    )
    if db.session.scalar(waiting) is not None:
        raise Conflict("invalid_state", N_("这条记录已有待处理的更正申请。"))
    c = Correction(
        session_id=s.id,
        student_id=s.student_id,
        enterprise_id=s.enterprise_id,
        proposed_check_in_at=check_in_at,
        proposed_check_out_at=check_out_at,
        note=text,
        status="open",
        created_at=now,
    )
    db.session.add(c)
    db.session.flush()
    _record(actor, "requested", c, None)
    db.session.commit()
    return c


def _load_open(actor: User, correction_id: int) -> tuple[Correction, ServiceSession]:
    if actor.role != "enterprise_staff":
        raise Forbidden()
    c = scope.get_or_404(scope.corrections(actor), Correction, correction_id)
    sessions.lock_student(c.student_id)
    db.session.refresh(c)
    if c.status != "open":
        raise Conflict("invalid_state", N_("该更正申请已处理。"))
    return c, db.session.get(ServiceSession, c.session_id)


def accept_correction(
    actor: User, correction_id: int, note: object = None, now: datetime | None = None
) -> Correction:
    """Accept a correction: its times become the session's (adjusted, confirmed); commits."""
    now = now or clock.now()
    c, s = _load_open(actor, correction_id)
    text = clean_reason(note, "note", required=False)
    db.session.refresh(s)
    sessions.close_stale(now, student_ids=[c.student_id])
    real_in = c.proposed_check_in_at or s.check_in_at
    real_out = c.proposed_check_out_at or s.check_out_at
    # Stored as words in the deciding person's language, like a reason they type.
    reason = str(localize(N_("学生更正申请：%(note)s", note=c.note)))
    months = apply_adjustment(actor, s, real_in, real_out, reason, now)
    before = {"status": c.status}
    c.status, c.decided_by_id, c.decided_at, c.decision_note = "accepted", actor.id, now, text
    _record(actor, "accepted", c, before)
    events.hours_changed.send(s.student_id, months=set(months), actor=actor)
    db.session.flush()
    events.correction_decided.send(c.id, student_id=c.student_id, outcome="accepted")
    db.session.commit()
    return c


def decline_correction(
    actor: User, correction_id: int, note: object = None, now: datetime | None = None
) -> Correction:
    """Decline a correction with an optional note; the session stays as it is; commits."""
    now = now or clock.now()
    c, _s = _load_open(actor, correction_id)
    text = clean_reason(note, "note", required=False)
    before = {"status": c.status}
    c.status, c.decided_by_id, c.decided_at, c.decision_note = "declined", actor.id, now, text
    _record(actor, "declined", c, before)
    db.session.flush()
    events.correction_decided.send(c.id, student_id=c.student_id, outcome="declined")
    db.session.commit()
    return c


def correction_query(actor: User, status: str | None = None) -> Select:
    """Select the actor's corrections (newest first), optionally by status."""
    stmt = scope.corrections(actor)
    if status:
        if status not in CORRECTION_STATUSES:
            raise ValidationError.field("status", N_("未知状态。"))
        stmt = stmt.where(Correction.status == status)
    return stmt.order_by(Correction.created_at.desc(), Correction.id.desc())
