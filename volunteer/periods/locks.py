"""Which months are locked: closed by a union (R21), attested by an enterprise (R30)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from ..extensions import db
from ..students.models import Student
from ..unions.models import Union
from .models import Attestation, MonthClose


def ancestors_of(path: str | None) -> list[str]:
    """Return the union codes of a materialised path, root first."""
    return [code for code in (path or "").strip("/").split("/") if code]


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
    ancestors = ancestors_of(path)
    if not ancestors:
        return set()
    rows = db.session.scalars(
        select(MonthClose.month).where(
            MonthClose.union_code.in_(ancestors),
            MonthClose.month.in_(months),
            MonthClose.closed_at.is_not(None),
        )
    )
    return set(rows)


def closed_anywhere(months: Iterable[str]) -> set[str]:
    """Return which of `months` some union has closed (the calendar is province-wide)."""
    months = set(months)
    if not months:
        return set()
    rows = db.session.scalars(
        select(MonthClose.month).where(
            MonthClose.month.in_(months), MonthClose.closed_at.is_not(None)
        )
    )
    return set(rows)


def attested_months(enterprise_id: int | None, months: Iterable[str]) -> set[str]:
    """Return which of `months` the enterprise has attested (current or stale)."""
    months = set(months)
    if enterprise_id is None or not months:
        return set()
    rows = db.session.scalars(
        select(Attestation.month).where(
            Attestation.enterprise_id == enterprise_id, Attestation.month.in_(months)
        )
    )
    return set(rows)


def attestation_of(enterprise_id: int, month: str) -> Attestation | None:
    """Return the enterprise's attestation of a month, if it has attested."""
    return db.session.scalars(
        select(Attestation).where(
            Attestation.enterprise_id == enterprise_id, Attestation.month == month
        )
    ).first()
