"""Exemptions (R18, R21): approve or withdraw a reduction of a student's month."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from .. import audit, clock, events
from ..auth.models import User
from ..auth.services import commit_or_conflict
from ..calendar.services import parse_month_arg
from ..database import lock_rows
from ..errors import N_, Conflict, ValidationError
from ..extensions import db
from ..periods import guard
from ..students.models import Student
from ..unions.services import union_path
from .models import Exemption
from .monthrows import compute_rows_by_month
from .reads import exemption_in_scope, student_in_managed_scope

MAX_EXEMPT_MINUTES = 240 * 60
MAX_REASON = 1000


def _text(value: object, name: str, required: bool) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValidationError.field(name, N_("必填。"))
        return None
    if not isinstance(value, str) or len(value.strip()) > MAX_REASON:
        raise ValidationError.field(name, N_("最多 %(n)s 字。", n=MAX_REASON))
    return value.strip()


def _minutes(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError.field("minutes", N_("应为整数（分钟）。"))
    if not 1 <= value <= MAX_EXEMPT_MINUTES:
        raise ValidationError.field("minutes", N_("应在 1–%(n)s 分钟之间。", n=MAX_EXEMPT_MINUTES))
    return value


def _ensure_open(
    actor: User, student_id: int, month: str, override_reason: str | None, action: str
) -> bool:
    """Apply R29 (one guard): True when the student's union overrides a closed month."""
    return guard.ensure_changeable(
        actor, student_id, [month], override_reason=override_reason, action=action
    ).overriding


def gross_requirement(student_id: int, month: str) -> int:
    """Return the student's requirement of a month before exemptions, from the records."""
    ids = select(Student.id).where(Student.id == student_id)
    rows = compute_rows_by_month([month], ids, use_stored=False)[month]
    return rows[0].gross_minutes if rows else 0


def _check_within_gross(student_id: int, month: str, minutes: int | None) -> None:
    """R32: a month's exemptions add up to at most the gross requirement; an exemption
    without minutes takes the rest, so there must be a rest to take."""
    active = db.session.scalars(
        select(Exemption.minutes).where(
            Exemption.student_id == student_id,
            Exemption.month == month,
            Exemption.revoked_at.is_(None),
        )
    ).all()
    gross = gross_requirement(student_id, month)
    taken = gross if any(m is None for m in active) else sum(active)
    rest = max(0, gross - taken)
    if minutes is None and rest == 0:
        raise ValidationError.field(
            "minutes", N_("该月应服务时长已全部免除（或无要求），没有可再免除的时长。")
        )
    if minutes is not None and minutes > rest:
        raise ValidationError.field(
            "minutes",
            N_(
                "免除合计不能超过该月应服务时长：最多还可免除 %(n)s 分钟（应服务 %(gross)s 分钟）。",
                n=rest,
                gross=gross,
            ),
        )


def exemption_dict(exemption: Exemption) -> dict:
    """Serialise an exemption for the API."""
    return {
        "id": exemption.id,
        "student_id": exemption.student_id,
        "month": exemption.month,
        "minutes": exemption.minutes,
        "whole": exemption.minutes is None,
        "reason": exemption.reason,
        "created_at": clock.to_local(exemption.created_at).isoformat(),
        "revoked_at": clock.to_local(exemption.revoked_at).isoformat()
        if exemption.revoked_at
        else None,
    }


def create_exemption(
    actor: User,
    student_id: int,
    month: str,
    reason: str | None,
    minutes: int | None = None,
    *,
    override_reason: str | None = None,
    now: datetime | None = None,
) -> Exemption:
    """Approve an exemption for a student's month (None minutes: the whole requirement)."""
    student = student_in_managed_scope(actor, student_id)
    month = parse_month_arg(month)
    reason = _text(reason, "reason", required=True)
    minutes = _minutes(minutes)
    override_reason = _text(override_reason, "override_reason", required=False)
    lock_rows(student)  # two racing exemptions must not both fit under the requirement
    _check_within_gross(student.id, month, minutes)
    overriding = _ensure_open(actor, student.id, month, override_reason, "exemption_created")
    exemption = Exemption(
        student_id=student.id,
        month=month,
        minutes=minutes,
        reason=reason,
        created_by_id=actor.id,
        created_at=now or clock.now(),
    )
    db.session.add(exemption)
    db.session.flush()
    after = exemption_dict(exemption)
    if overriding:
        after["override_reason"] = override_reason
    events.hours_changed.send(student.id, months={month}, actor=actor)
    audit.record(
        actor,
        "created",
        "exemption",
        exemption.id,
        after=after,
        union_path=union_path(student.union_code),
    )
    commit_or_conflict()
    return exemption


def revoke_exemption(
    actor: User,
    exemption_id: int,
    reason: str | None,
    *,
    override_reason: str | None = None,
    now: datetime | None = None,
) -> Exemption:
    """Withdraw an exemption, with a reason (audited)."""
    exemption = exemption_in_scope(actor, exemption_id)
    reason = _text(reason, "reason", required=True)
    override_reason = _text(override_reason, "override_reason", required=False)
    if exemption.revoked_at is not None:
        raise Conflict("invalid_state", N_("该免除已撤销。"))
    _ensure_open(actor, exemption.student_id, exemption.month, override_reason, "exemption_revoked")
    before = exemption_dict(exemption)
    exemption.revoked_at = now or clock.now()
    db.session.flush()
    events.hours_changed.send(exemption.student_id, months={exemption.month}, actor=actor)
    code = db.session.scalar(select(Student.union_code).where(Student.id == exemption.student_id))
    audit.record(
        actor,
        "revoked",
        "exemption",
        exemption.id,
        before=before,
        after={"reason": reason, "override_reason": override_reason},
        union_path=union_path(code),
    )
    commit_or_conflict()
    return exemption


def month_exemptions(student_ids: list[int], month: str) -> list[Exemption]:
    """Return the exemptions (revoked ones included) of some students in a month."""
    if not student_ids:
        return []
    return list(
        db.session.scalars(
            select(Exemption)
            .where(Exemption.student_id.in_(student_ids), Exemption.month == month)
            .order_by(Exemption.created_at)
        )
    )


# --- pages -------------------------------------------------------------------------------
