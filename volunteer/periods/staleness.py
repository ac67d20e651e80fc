"""An attestation goes stale when the figures it vouched for change (R30)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import and_, or_, select

from .. import audit, clock, events
from ..agreements.models import Agreement
from ..auth.models import User
from ..checkin.models import SessionMonth
from ..enterprises.models import Enterprise
from ..extensions import db
from ..unions.models import Union
from .models import Attestation
from .rules import month_span


def _enterprises_of(student_id: int, month: str):
    """Select the enterprises whose report of the month lists the student: an agreement
    reaching into the month, or minutes served there."""
    first, last = month_span(month)
    placed = select(Agreement.enterprise_id).where(
        Agreement.student_id == student_id,
        Agreement.starts_on <= last,
        Agreement.ends_on >= first,
        or_(Agreement.terminated_on.is_(None), Agreement.terminated_on > first),
    )
    served = select(SessionMonth.enterprise_id).where(
        SessionMonth.student_id == student_id, SessionMonth.month == month
    )
    return placed.union(served)


def mark_stale_for_student(
    student_id: int, months: Iterable[str], actor: User | None, now: datetime | None = None
) -> list[Attestation]:
    """Make stale the current attestations of the months whose report lists the student."""
    conditions = [
        and_(
            Attestation.month == month,
            Attestation.enterprise_id.in_(_enterprises_of(student_id, month)),
        )
        for month in sorted(set(months))
    ]
    if not conditions:
        return []
    return _mark(or_(*conditions), actor, now, {"student_id": student_id})


def mark_stale_for_months(
    months: Iterable[str], actor: User | None, now: datetime | None = None
) -> list[Attestation]:
    """Make stale every current attestation of the months (a calendar change moves every
    requirement in them)."""
    months = sorted(set(months))
    if not months:
        return []
    return _mark(Attestation.month.in_(months), actor, now, {"calendar": True})


def _mark(condition, actor: User | None, now: datetime | None, cause: dict) -> list[Attestation]:
    now = now or clock.now()
    rows = db.session.execute(
        select(Attestation, Union.path)
        .join(Enterprise, Enterprise.id == Attestation.enterprise_id)
        .join(Union, Union.code == Enterprise.union_code)
        .where(condition, Attestation.stale_since.is_(None))
        .with_for_update(of=Attestation)
    ).all()
    for attestation, path in rows:
        attestation.stale_since = now
        audit.record(
            actor,
            "stale",
            "attestation",
            f"{attestation.enterprise_id}:{attestation.month}",
            before={"status": "current"},
            after={"status": "stale", "stale_since": clock.to_local(now).isoformat(), **cause},
            union_path=path,
        )
    if rows:
        db.session.flush()
    for attestation, _path in rows:
        events.attestation_changed.send(
            attestation.enterprise_id, month=attestation.month, status="stale", actor=actor
        )
    return [attestation for attestation, _path in rows]
