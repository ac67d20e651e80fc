"""Changes to an agreement's dates (R5, R6, R29): early termination and a new end date.

Either moves requirements into or out of the months whose days gain or lose coverage,
so both pass the one month guard first: a closed month (or, for the enterprise, a month
it attested) is refused unless the student's union gives an `override_reason`. A
termination's own reason is not an override.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from .. import audit, clock
from ..auth.models import User
from ..auth.services import commit_or_conflict
from ..database import lock_rows
from ..enterprises.models import Enterprise
from ..errors import N_, Conflict, Forbidden, ValidationError
from ..extensions import db
from ..periods import guard
from ..students.models import Student
from . import rules
from .models import Agreement
from .services import _check_places, _paths, announce, get_readable, guard_coverage, race_safe


def _in_force(agreement: Agreement, today: date) -> bool:
    """Tell whether the agreement creates a requirement at all (signed, R18)."""
    return rules.is_signed(
        student_signed_at=agreement.student_signed_at,
        enterprise_signed_at=agreement.enterprise_signed_at,
        paper_signed_on=agreement.paper_signed_on,
        today=today,
    )


def _guard_days(
    actor: User,
    agreement: Agreement,
    first: date,
    last: date,
    today: date,
    override: str | None,
    action: str,
) -> set[str]:
    if not _in_force(agreement, today):
        return set()  # an unsigned agreement moves no requirement
    return guard_coverage(
        actor,
        agreement.student_id,
        agreement.enterprise_id,
        first,
        last,
        today,
        override,
        action,
    )


def _clean_reason(reason: object) -> str:
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason:
        raise ValidationError.field("reason", N_("请填写终止原因"))
    if len(reason) > 1000:
        raise ValidationError.field("reason", N_("终止原因最多1000字"))
    return reason


@race_safe
def terminate_agreement(
    actor: User,
    agreement_id: int,
    reason: str,
    effective_on: date,
    now: datetime | None = None,
    *,
    override_reason: object = None,
) -> Agreement:
    """End an agreement early from `effective_on` (the first day no longer covered); commits."""
    if actor.role not in ("union_staff", "enterprise_staff"):
        raise Forbidden()
    now = now or clock.now()
    today = clock.to_local(now).date()
    agreement = get_readable(actor, agreement_id)
    reason = _clean_reason(reason)
    override = guard.clean_override(override_reason)
    if not agreement.starts_on <= effective_on <= agreement.ends_on:
        raise ValidationError.field("effective_on", N_("终止生效日期应在协议期限之内"))
    lock_rows(agreement)
    db.session.refresh(agreement)
    if agreement.terminated_on is not None:
        raise Conflict("invalid_state", N_("协议已终止。"))
    if agreement.status_on(today) == "ended":
        raise Conflict("invalid_state", N_("协议已到期结束，无需终止。"))
    months = _guard_days(
        actor, agreement, effective_on, agreement.last_day, today, override, "terminated"
    )
    before = agreement.to_dict(today)
    agreement.terminated_on = effective_on
    agreement.termination_reason = reason
    agreement.terminated_at = now
    after = agreement.to_dict(today) | ({"override_reason": override} if override else {})
    audit.record(
        actor,
        "terminated",
        "agreement",
        agreement.id,
        before=before,
        after=after,
        **_paths(agreement.student_id, agreement.enterprise_id),
    )
    announce(actor, agreement, months)
    commit_or_conflict()
    return agreement


def _apply_end(
    actor: User, agreement: Agreement, ends_on: date, today: date, override: str | None
) -> None:
    """Move an agreement's last day (R6 and R29 apply); audited, announced, not committed."""
    rules.validate_dates(agreement.starts_on, ends_on)
    student = db.session.get(Student, agreement.student_id)
    enterprise = db.session.get(Enterprise, agreement.enterprise_id)
    lock_rows(student, enterprise, agreement)
    db.session.refresh(agreement)
    db.session.refresh(enterprise)
    if agreement.terminated_on is not None:
        raise Conflict("invalid_state", N_("协议已终止，不能再修改结束日期。"))
    old = agreement.ends_on
    if ends_on == old:
        return
    if ends_on > old:
        _check_places(student, enterprise, old + timedelta(days=1), ends_on)
        first, last = old + timedelta(days=1), ends_on
    else:
        first, last = ends_on + timedelta(days=1), old
    months = _guard_days(actor, agreement, first, last, today, override, "ends_on_changed")
    before = agreement.to_dict(today)
    agreement.ends_on = ends_on
    after = agreement.to_dict(today) | ({"override_reason": override} if override else {})
    audit.record(
        actor,
        "ends_on_changed",
        "agreement",
        agreement.id,
        before=before,
        after=after,
        **_paths(agreement.student_id, agreement.enterprise_id),
    )
    announce(actor, agreement, months)


@race_safe
def change_end(
    actor: User,
    agreement_id: int,
    ends_on: date,
    now: datetime | None = None,
    *,
    override_reason: object = None,
) -> Agreement:
    """Extend or shorten an agreement to a new last day (R6 and R29 apply); commits."""
    return change_agreement(
        actor, agreement_id, ends_on=ends_on, override_reason=override_reason, now=now
    )


# --- terms and insurance (R37) ---------------------------------------------------------

TERMS_EDITORS = ("union_staff", "enterprise_staff")


def _apply_terms(actor: User, agreement: Agreement, clean: dict[str, Any], today: date) -> bool:
    """Set the terms that differ; audited with before and after; not committed."""
    changed = {k: v for k, v in clean.items() if getattr(agreement, k) != v}
    if not changed:
        return False
    before = agreement.to_dict(today)
    for field, value in changed.items():
        setattr(agreement, field, value)
    after = agreement.to_dict(today)
    keys = [k for k in after if after[k] != before[k]]
    audit.record(
        actor,
        "updated",
        "agreement",
        agreement.id,
        before={k: before[k] for k in keys},
        after={k: after[k] for k in keys},
        **_paths(agreement.student_id, agreement.enterprise_id),
    )
    return True


@race_safe
def change_agreement(
    actor: User,
    agreement_id: int,
    *,
    ends_on: date | None = None,
    override_reason: object = None,
    now: datetime | None = None,
    **terms: Any,
) -> Agreement:
    """PATCH an agreement: its terms and insurance (R37; union or enterprise) and, for the
    union only, its end date (R6, R29). Everything is checked before anything is written;
    commits once."""
    if actor.role not in TERMS_EDITORS:
        raise Forbidden()
    if ends_on is not None and actor.role != "union_staff":
        raise Forbidden("forbidden", N_("只有工会可以修改协议的结束日期。"))
    unknown = set(terms) - set(rules.TERM_FIELDS)
    if unknown:
        raise TypeError(f"unknown agreement fields: {sorted(unknown)}")
    now = now or clock.now()
    today = clock.to_local(now).date()
    agreement = get_readable(actor, agreement_id)
    override = guard.clean_override(override_reason)
    current = {field: getattr(agreement, field) for field in rules.TERM_FIELDS}
    clean = rules.clean_terms(terms, current)
    if ends_on is not None:
        _apply_end(actor, agreement, ends_on, today, override)
    if _apply_terms(actor, agreement, clean, today) and ends_on is None:
        announce(actor, agreement, set())
    commit_or_conflict()
    return agreement


def update_terms(
    actor: User, agreement_id: int, *, now: datetime | None = None, **terms: Any
) -> Agreement:
    """Change an agreement's terms and insurance only (the terms page); commits."""
    return change_agreement(actor, agreement_id, now=now, **terms)
