"""Month locks (R21): is a student's month closed, and who may still change it."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from ..auth import scope
from ..auth.models import User
from ..errors import N_, Conflict, ValidationError
from ..extensions import db
from ..students.models import Student
from ..unions.models import Union
from .models import Attestation, MonthClose


def closed_months(student_id: int, months: Iterable[str]) -> set[str]:
    """Return which of `months` are closed for the student (by their union or an ancestor)."""
    months = set(months)
    if not months:
        return set()
    path = db.session.scalar(
        select(Union.path)
        .join(Student, Student.union_code == Union.code)
        .where(Student.id == student_id)
    )
    if not path:
        return set()
    ancestors = [c for c in path.strip("/").split("/") if c]
    rows = db.session.scalars(
        select(MonthClose.month).where(
            MonthClose.union_code.in_(ancestors),
            MonthClose.month.in_(months),
            MonthClose.closed_at.is_not(None),
        )
    )
    return set(rows)


def ensure_months_open(
    actor: User | None, student_id: int, months: Iterable[str], reason: str | None = None
) -> bool:
    """Refuse a change to a closed month (409 month_closed), unless union staff of the
    student's union give a reason. Returns True when such an override is in effect."""
    closed = closed_months(student_id, months)
    if not closed:
        return False
    if actor is not None and actor.role == "union_staff":
        in_scope = db.session.scalar(
            scope.managed_students(actor)
            .with_only_columns(Student.id)
            .where(Student.id == student_id)
        )
        if in_scope:
            if not reason or not reason.strip():
                raise ValidationError.field("reason", N_("该月已结算，修改须填写理由。"))
            return True
    raise Conflict(
        "month_closed", N_("%(months)s 已结算，不能再修改。", months=", ".join(sorted(closed)))
    )


def ensure_not_attested(enterprise_id: int, months: Iterable[str]) -> None:
    """Refuse an enterprise's confirmation or correction in a month it has attested."""
    months = set(months)
    if not months:
        return
    attested = db.session.scalars(
        select(Attestation.month).where(
            Attestation.enterprise_id == enterprise_id, Attestation.month.in_(months)
        )
    ).all()
    if attested:
        raise Conflict(
            "month_closed",
            N_("%(months)s 已由企业签字确认，不能再修改。", months=", ".join(sorted(attested))),
        )
