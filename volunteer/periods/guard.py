"""The one guard in front of every write that can move a month's figures (R29, R30).

A closed month (R21) is refused to everyone; a month the enterprise has attested is
refused to that enterprise. Union staff of the student's union may go through either
with a reason — the `reason` a session decision carries, or an explicit
`override_reason` everywhere else — and that override is audited here, once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

from .. import audit
from ..auth import scope
from ..auth.models import User
from ..errors import N_, Conflict, Forbidden, ValidationError
from ..extensions import db
from ..students.models import Student
from ..unions.models import Union
from . import locks

MAX_OVERRIDE_REASON = 1000


@dataclass(frozen=True)
class Clearance:
    """What the guard found in the months a change reaches, and the override used."""

    closed: frozenset[str]
    attested: frozenset[str]
    override_reason: str | None = None

    @property
    def overriding(self) -> bool:
        """Tell whether the change goes through a lock on the strength of an override."""
        return self.override_reason is not None


def clean_override(value: object, field: str = "override_reason") -> str | None:
    """Return a stripped override reason, None when absent or blank (400 when too long)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str) or len(value.strip()) > MAX_OVERRIDE_REASON:
        raise ValidationError.field(field, N_("最多 %(n)s 字。", n=MAX_OVERRIDE_REASON))
    return value.strip()


def manages_student(actor: User | None, student_id: int) -> bool:
    """Tell whether the actor is union staff of the student's union (or above it)."""
    if actor is None or actor.role != "union_staff":
        return False
    stmt = scope.managed_students(actor).with_only_columns(Student.id)
    return db.session.scalar(stmt.where(Student.id == student_id)) is not None


def ensure_changeable(
    actor: User | None,
    student_id: int,
    months: Iterable[str],
    *,
    enterprise_id: int | None = None,
    override_reason: object = None,
    reason_is_override: bool = False,
    action: str = "",
) -> Clearance:
    """Refuse a change reaching a locked month with 409 month_closed, unless union staff
    of the student's union give a reason; return what was found.

    `override_reason` is the explicit override of a non-session write; a session
    decision passes its own reason with `reason_is_override`. Anyone else who tries
    to override gets 403: the lock is not theirs to lift.
    """
    months = set(months)
    closed = locks.closed_months(student_id, months)
    attested = locks.attested_months(enterprise_id, months)
    found = Clearance(frozenset(closed), frozenset(attested))
    union_side = actor is not None and actor.role == "union_staff"
    locked = closed if union_side else closed | attested
    if not locked:
        return found
    text = clean_override(override_reason, "reason" if reason_is_override else "override_reason")
    if manages_student(actor, student_id):
        if text is None:
            raise _refusal(closed, attested, explain_override=not reason_is_override)
        _audit_override(actor, student_id, locked, text, action)
        return Clearance(found.closed, found.attested, text)
    if text is not None and not reason_is_override:
        raise Forbidden(
            "forbidden", N_("只有学生所属工会的工作人员可以修改已结算或已签字确认的月份。")
        )
    raise _refusal(closed, attested if not union_side else set())


def _refusal(closed: set[str], attested: set[str], *, explain_override: bool = False) -> Conflict:
    if closed:
        months = ", ".join(sorted(closed))
        if explain_override:
            return Conflict(
                "month_closed",
                N_(
                    "%(months)s 已结算；学生所属工会如确需修改，请填写结算后修改的理由"
                    "（override_reason）。",
                    months=months,
                ),
            )
        return Conflict("month_closed", N_("%(months)s 已结算，不能再修改。", months=months))
    return Conflict(
        "month_closed",
        N_("%(months)s 已由企业签字确认，不能再修改。", months=", ".join(sorted(attested))),
    )


def _audit_override(
    actor: User, student_id: int, months: set[str], reason: str, action: str
) -> None:
    code, path = db.session.execute(
        select(Union.code, Union.path)
        .join(Student, Student.union_code == Union.code)
        .where(Student.id == student_id)
    ).one()
    audit.record(
        actor,
        "lock_overridden",
        "month",
        f"{code}/{min(months)}",
        after={
            "student_id": student_id,
            "months": sorted(months),
            "override_reason": reason,
            "change": action,
        },
        union_path=path,
    )


def ensure_calendar_changeable(
    actor: User, months: Iterable[str], override_reason: object = None, *, action: str = ""
) -> Clearance:
    """Refuse a calendar change in a month any union has closed (409 month_closed)
    unless the caller — root-union staff, checked by the calendar — gives a reason."""
    closed = locks.closed_anywhere(months)
    found = Clearance(frozenset(closed), frozenset())
    if not closed:
        return found
    text = clean_override(override_reason)
    if text is None:
        raise Conflict(
            "month_closed",
            N_(
                "%(months)s 已有工会结算；如确需修改日历，请填写结算后修改的理由"
                "（override_reason，将更新已结算的数据）。",
                months=", ".join(sorted(closed)),
            ),
        )
    path = db.session.scalar(select(Union.path).where(Union.code == actor.union_code))
    audit.record(
        actor,
        "lock_overridden",
        "month",
        f"{actor.union_code}/{min(closed)}",
        after={"months": sorted(closed), "override_reason": text, "change": action},
        union_path=path,
    )
    return Clearance(found.closed, found.attested, text)
