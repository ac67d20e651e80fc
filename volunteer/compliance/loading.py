"""The inputs of month rows, loaded for any number of students by a fixed set of grouped
queries: students, minutes per status, signed agreements, exemptions, calendar
overrides, month closes and stored figures (R18, R19, R21)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Select, and_, case, func, or_, select

from ..agreements.models import Agreement
from ..agreements.rules import effective_end
from ..calendar.rules import month_bounds
from ..calendar.services import calendars_for
from ..checkin.models import SessionMonth
from ..database import plain_rows
from ..extensions import db
from ..periods.models import MonthClose
from ..students.models import Student
from ..unions.models import Union
from .models import Exemption, MonthFigure
from .rules import AgreementSpan

# Session statuses whose minutes count (SessionMonth.status is a copy of the session's).
COUNTED = ("confirmed", "pending")


@dataclass
class MonthInputs:
    """Everything the arithmetic needs, loaded by a fixed number of queries."""

    students: list = field(default_factory=list)
    minutes: dict = field(default_factory=dict)
    agreements: dict = field(default_factory=dict)
    exemptions: dict = field(default_factory=dict)
    calendars: dict = field(default_factory=dict)
    closes: dict = field(default_factory=dict)
    figures: dict = field(default_factory=dict)


def check_select(student_ids_select: Select) -> None:
    if len(student_ids_select.selected_columns) != 1:
        raise TypeError("student_ids_select must select one column of student ids")


def _load_minutes(months: list[str], ids: Select) -> dict:
    """Return {month: {student_id: (confirmed minutes, pending minutes)}}."""

    def total(status: str):
        return func.sum(case((SessionMonth.status == status, SessionMonth.minutes), else_=0))

    # Pivoted in SQL: one row per student-month instead of one per status.
    rows = plain_rows(
        select(SessionMonth.student_id, SessionMonth.month, total("confirmed"), total("pending"))
        .where(
            SessionMonth.student_id.in_(ids),
            SessionMonth.month.in_(months),
            SessionMonth.status.in_(COUNTED),
        )
        .group_by(SessionMonth.student_id, SessionMonth.month)
    )
    out: dict = defaultdict(dict)
    for sid, month, confirmed, pending in rows:
        out[month][sid] = (int(confirmed or 0), int(pending or 0))
    return out


def _load_agreements(first: date, last: date, ids: Select, today: date) -> dict:
    """Return {student_id: [(enterprise_id, AgreementSpan)]} for signed agreements."""
    # An unsigned (pending) agreement creates no requirement: nobody agreed to it
    # (agreements.rules.is_signed, expressed in SQL so that no timestamp is loaded).
    signed = or_(
        and_(Agreement.student_signed_at.is_not(None), Agreement.enterprise_signed_at.is_not(None)),
        and_(Agreement.paper_signed_on.is_not(None), Agreement.paper_signed_on <= today),
    )
    rows = plain_rows(
        select(
            Agreement.student_id,
            Agreement.enterprise_id,
            Agreement.starts_on,
            Agreement.ends_on,
            Agreement.terminated_on,
            Agreement.monthly_hours,
            Agreement.allow_workdays,
        ).where(
            Agreement.student_id.in_(ids),
            Agreement.starts_on <= last,
            Agreement.ends_on >= first,
            # Not terminated before the first day (effective_end in SQL): such an agreement
            # names no enterprise for these months, as enterprise_month_students says.
            or_(Agreement.terminated_on.is_(None), Agreement.terminated_on > first),
            signed,
        )
    )
    out: dict = defaultdict(list)
    # Most agreements of a cohort share their dates: one span object per distinct
    # (dates, termination, hours, workdays), which also keeps the per-month memo small.
    spans: dict[tuple, AgreementSpan | None] = {}
    for row in rows:
        sid, eid, key = row[0], row[1], row[2:]
        if key in spans:
            span = spans[key]
        else:
            starts, ends, term, hours, workdays = key
            end = effective_end(ends, term)
            span = spans[key] = (
                AgreementSpan(starts, end, hours, bool(workdays)) if end >= starts else None
            )
        if span is not None:
            out[sid].append((eid, span))
    return out


def _load_students(ids: Select) -> list[tuple]:
    """Return (id, name, union_code, phone, union path, has_agreement) per student."""
    # "Matched": at least one agreement not cancelled before it began (R19 lists the
    # others apart); asked per student inside the same query.
    matched = (
        select(Agreement.id)
        .where(
            Agreement.student_id == Student.id,
            or_(Agreement.terminated_on.is_(None), Agreement.terminated_on > Agreement.starts_on),
        )
        .exists()
    )
    rows = plain_rows(
        select(Student.id, Student.name, Student.union_code, Student.phone, matched)
        .where(Student.id.in_(ids))
        .order_by(Student.id)
    )
    # Unions are few: their paths come in one small query instead of a join per row.
    paths = dict(plain_rows(select(Union.code, Union.path)))
    return [
        (sid, name, code, phone, paths.get(code, ""), bool(has))
        for sid, name, code, phone, has in rows
    ]


def _load_exemptions(months: list[str], ids: Select) -> dict:
    """Return {month: {student_id: (minutes, whole)}} of the approved exemptions."""
    rows = plain_rows(
        select(Exemption.student_id, Exemption.month, Exemption.minutes).where(
            Exemption.student_id.in_(ids),
            Exemption.month.in_(months),
            Exemption.revoked_at.is_(None),
        )
    )
    out: dict = defaultdict(dict)
    for sid, month, minutes in rows:
        total, whole = out[month].get(sid, (0, False))
        out[month][sid] = (total + (minutes or 0), whole or minutes is None)
    return out


def load_closes(months: list[str]) -> dict[str, set[str]]:
    """Return {month: codes of the unions that closed it} for some months."""
    rows = plain_rows(
        select(MonthClose.month, MonthClose.union_code).where(
            MonthClose.month.in_(months), MonthClose.closed_at.is_not(None)
        )
    )
    out: dict[str, set[str]] = defaultdict(set)
    for month, code in rows:
        out[month].add(code)
    return out


def _load_figures(months: list[str], ids: Select) -> dict:
    """Return {month: {student_id: (gross, required, confirmed, pending, exempt, status)}}."""
    rows = plain_rows(
        select(
            MonthFigure.student_id,
            MonthFigure.month,
            MonthFigure.gross_minutes,
            MonthFigure.required_minutes,
            MonthFigure.confirmed_minutes,
            MonthFigure.pending_minutes,
            MonthFigure.exempt_minutes,
            MonthFigure.status,
        ).where(MonthFigure.student_id.in_(ids), MonthFigure.month.in_(months))
    )
    out: dict = defaultdict(dict)
    for row in rows:
        out[row[1]][row[0]] = row[2:]
    return out


def load_inputs(months: list[str], ids: Select, today: date, use_stored: bool) -> MonthInputs:
    first, last = month_bounds(months[0])[0], month_bounds(months[-1])[1]
    # Pending changes (e.g. a correction before note_change) must be seen.
    db.session.flush()
    inputs = MonthInputs()
    inputs.students = _load_students(ids)
    inputs.minutes = _load_minutes(months, ids)
    inputs.agreements = _load_agreements(first, last, ids, today)
    inputs.exemptions = _load_exemptions(months, ids)
    inputs.calendars = calendars_for(months)
    inputs.closes = load_closes(months)
    if use_stored and inputs.closes:
        inputs.figures = _load_figures(months, ids)
    return inputs


def enterprise_month_students(enterprise_id: int, month: str) -> Select:
    """Select the students whose agreement with an enterprise covers part of a month."""
    first, last = month_bounds(month)
    return select(Agreement.student_id).where(
        Agreement.enterprise_id == enterprise_id,
        Agreement.starts_on <= last,
        Agreement.ends_on >= first,
        or_(
            Agreement.terminated_on.is_(None),
            and_(Agreement.terminated_on > first, Agreement.terminated_on > Agreement.starts_on),
        ),
    )
