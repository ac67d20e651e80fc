"""Agreement queries shared by pages, the API and matching: derived status and occupancy."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import ColumnElement, and_, case, func, not_, or_, select

from ..extensions import db
from .models import Agreement
from .rules import STATUSES, occupied_span


def status_condition(status: str, today: date) -> ColumnElement[bool]:
    """Filter on Agreement for a derived status on `today` (mirrors rules.agreement_status)."""
    if status not in STATUSES:
        raise ValueError(status)
    terminated = and_(Agreement.terminated_on.is_not(None), Agreement.terminated_on <= today)
    if status == "terminated":
        return terminated
    signed = or_(
        and_(Agreement.paper_signed_on.is_not(None), Agreement.paper_signed_on <= today),
        and_(Agreement.student_signed_at.is_not(None), Agreement.enterprise_signed_at.is_not(None)),
    )
    running = not_(terminated)
    if status == "pending":
        return and_(running, not_(signed))
    if status == "scheduled":
        return and_(running, signed, Agreement.starts_on > today)
    if status == "active":
        return and_(running, signed, Agreement.starts_on <= today, Agreement.ends_on >= today)
    return and_(running, signed, Agreement.ends_on < today)


def holds_day(day: ColumnElement | date, table=Agreement) -> ColumnElement[bool]:
    """Filter: the agreement holds a place on `day` (R6: every status, termination honoured)."""
    return and_(
        table.starts_on <= day,
        table.ends_on >= day,
        or_(table.terminated_on.is_(None), table.terminated_on > day),
    )


def touching(start: date, end: date, table=Agreement) -> ColumnElement[bool]:
    """Filter: the agreement may hold a place on some day of [start, end]."""
    return and_(
        table.starts_on <= end,
        table.ends_on >= start,
        or_(table.terminated_on.is_(None), table.terminated_on > start),
    )


def spans_of(
    *, start: date, end: date, student_id: int | None = None, enterprise_id: int | None = None
) -> list[tuple[Agreement, tuple[date, date]]]:
    """Return (agreement, occupied span) for a student's or an enterprise's agreements in a period."""
    stmt = select(Agreement).where(touching(start, end))
    if student_id is not None:
        stmt = stmt.where(Agreement.student_id == student_id)
    if enterprise_id is not None:
        stmt = stmt.where(Agreement.enterprise_id == enterprise_id)
    out = []
    for agreement in db.session.scalars(stmt.order_by(Agreement.starts_on, Agreement.id)):
        span = occupied_span(agreement.starts_on, agreement.ends_on, agreement.terminated_on)
        if span is not None:
            out.append((agreement, span))
    return out


def peak_in_use(
    start: date, end: date, enterprise_ids: Iterable[int] | None = None
) -> dict[int, int]:
    """Return {enterprise_id: most distinct students holding a place on one day of [start, end]}.

    One grouped query for all enterprises. Occupancy only rises on a day some agreement
    begins, so the peak is reached on the period's first day or on such a start day:
    count the distinct students on each of those candidate days, then take the maximum.
    Enterprises with no agreement in the period are absent (their peak is 0).
    """
    ids = None if enterprise_ids is None else list(enterprise_ids)
    if ids is not None and not ids:
        return {}
    first = case((Agreement.starts_on < start, start), else_=Agreement.starts_on)
    days = select(Agreement.enterprise_id.label("enterprise_id"), first.label("day")).where(
        touching(start, end)
    )
    if ids is not None:
        days = days.where(Agreement.enterprise_id.in_(ids))
    days = days.distinct().subquery("days")
    holder = Agreement.__table__.alias("holder")
    per_day = (
        select(
            days.c.enterprise_id,
            func.count(holder.c.student_id.distinct()).label("in_use"),
        )
        .join(holder, holder.c.enterprise_id == days.c.enterprise_id)
        .where(holds_day(days.c.day, holder.c))
        .group_by(days.c.enterprise_id, days.c.day)
        .subquery("per_day")
    )
    stmt = select(per_day.c.enterprise_id, func.max(per_day.c.in_use)).group_by(
        per_day.c.enterprise_id
    )
    return {enterprise_id: int(peak) for enterprise_id, peak in db.session.execute(stmt)}
