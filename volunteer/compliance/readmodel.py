"""The read model (StudentMonthFigure): every student-month's figures, kept current.

Written inside the transaction of every change that moves a figure, by the receivers in
reactions.py: the rows of the touched students and months are computed again with
compute_rows_by_month (the same arithmetic the pages used to run for a whole province)
and rewritten. A scan's check-out is the exception: the kiosks' hot path adds its
minutes with one upsert. A student-month whose figures are all zero and that no signed
agreement reaches has no row (reads count it as "not required").
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import (
    Select,
    bindparam,
    case,
    delete,
    false,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from .. import clock
from ..agreements.models import Agreement
from ..calendar.rules import month_of, months_between
from ..checkin.models import ServiceSession, SessionMonth
from ..checkin.rules import split_minutes_by_month
from ..extensions import db
from ..students.models import Student
from ..unions.models import Union
from .loading import COUNTED
from .models import StudentMonthFigure as F
from .monthrows import MonthRow, compute_rows_by_month

# The days-left profile of a row no agreement reaches: no allowed day in the month.
ZERO_PROFILE = "00" * 31
FIGURE_FIELDS = (
    "union_code",
    "union_path",
    "gross_minutes",
    "required_minutes",
    "confirmed_minutes",
    "pending_minutes",
    "exempt_minutes",
    "closed",
    "enterprise_ids",
    "days_left",
)


def is_blank(row: MonthRow) -> bool:
    """Tell whether a month row says nothing a missing row would not (all zero, no
    enterprise): such student-months are not stored."""
    return not (
        row.enterprise_ids
        or row.gross_minutes
        or row.confirmed_minutes
        or row.pending_minutes
        or row.exempt_minutes
    )


def values_of(row: MonthRow) -> dict:
    """Return the stored columns of a month row (computed with profiles=True)."""
    return {
        "student_id": row.student_id,
        "month": row.month,
        "union_code": row.union_code,
        "union_path": row.union_path,
        "gross_minutes": row.gross_minutes,
        "required_minutes": row.required_minutes,
        "confirmed_minutes": row.confirmed_minutes,
        "pending_minutes": row.pending_minutes,
        "exempt_minutes": row.exempt_minutes,
        "closed": row.is_closed,
        "enterprise_ids": ",".join(map(str, row.enterprise_ids)),
        "days_left": row.days_profile or ZERO_PROFILE,
    }


def expected_rows(months: Iterable[str], ids: Select) -> dict[str, list[dict]]:
    """Compute what the table should hold for these students and months (blank left out)."""
    by_month = compute_rows_by_month(list(months), ids, today=clock.today(), profiles=True)
    return {
        month: [values_of(r) for r in rows if not is_blank(r)] for month, rows in by_month.items()
    }


def refresh(months: Iterable[str], ids: Select) -> int:
    """Rewrite the rows of the selected students in these months; return how many."""
    months = sorted(set(months))
    if not months:
        return 0
    # Lock the rows first: a scan's upsert that commits while they are computed would
    # otherwise be overwritten; one that waits adds its minutes to the rewritten row.
    db.session.execute(
        select(F.student_id).where(F.month.in_(months), F.student_id.in_(ids)).with_for_update()
    )
    expected = expected_rows(months, ids)
    db.session.execute(
        delete(F).where(F.month.in_(months), F.student_id.in_(ids)),
        execution_options={"synchronize_session": False},
    )
    values = [v for rows in expected.values() for v in rows]
    # Plain INSERTs in slices: a calendar change rewrites a whole province's month.
    for start in range(0, len(values), 5000):
        db.session.execute(insert(F), values[start : start + 5000])
    return len(values)


def refresh_student(student_id: int, months: Iterable[str]) -> int:
    """Rewrite one student's rows in these months."""
    return refresh(months, select(Student.id).where(Student.id == student_id))


def refresh_student_everywhere(student_id: int) -> int:
    """Rewrite every stored month of a student (e.g. after a move to another union)."""
    months = db.session.scalars(select(F.month).where(F.student_id == student_id)).all()
    return refresh_student(student_id, months)


def agreement_months(agreement_id: int, student_id: int) -> set[str]:
    """Return the months an agreement's change can move: its whole span, and every
    month the student has a row in (a shortened agreement leaves some)."""
    span = db.session.execute(
        select(Agreement.starts_on, Agreement.ends_on).where(Agreement.id == agreement_id)
    ).one_or_none()
    months = set(db.session.scalars(select(F.month).where(F.student_id == student_id)))
    if span is not None:
        months.update(months_between(month_of(span[0]), month_of(span[1])))
    return months


def stored_ids(month: str, union_path: str | None = None) -> Select:
    """Select the students with a row in a month (within a union's subtree)."""
    stmt = select(F.student_id).where(F.month == month)
    if union_path is not None:
        stmt = stmt.where(*path_range(union_path))
    return stmt


def path_range(union_path: str) -> tuple:
    """Return the conditions of a union's subtree on union_path: one index range (the
    column sorts bytewise; "0" is the character after "/")."""
    return (F.union_path >= union_path, F.union_path < union_path[:-1] + "0")


def refresh_month(month: str, union_path: str | None = None) -> int:
    """Rewrite the stored rows of a month (a union's subtree, or everyone)."""
    return refresh([month], stored_ids(month, union_path))


# --- the scan's upsert ----------------------------------------------------------------

_SCAN_UPSERT: dict[str, object] = {}


def _scan_upsert(dialect: str):
    """Build once: add a session's counted minutes to its student-months (one statement)."""
    sm, st, un, f = SessionMonth.__table__, Student.__table__, Union.__table__, F.__table__

    def total(status: str):
        return func.coalesce(func.sum(case((sm.c.status == status, sm.c.minutes), else_=0)), 0)

    source = (
        select(
            sm.c.student_id,
            sm.c.month,
            st.c.union_code,
            un.c.path,
            literal(0),
            literal(0),
            total("confirmed"),
            total("pending"),
            literal(0),
            false(),
            literal(""),
            literal(ZERO_PROFILE),
        )
        .select_from(sm.join(st, st.c.id == sm.c.student_id).join(un, un.c.code == st.c.union_code))
        .where(
            sm.c.session_id == bindparam("session_id"),
            sm.c.month == bindparam("month"),
            sm.c.status.in_(COUNTED),
        )
        .group_by(sm.c.student_id, sm.c.month, st.c.union_code, un.c.path)
    )
    columns = ["student_id", "month", *FIGURE_FIELDS]
    maker = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = maker(f).from_select(columns, source)
    return stmt.on_conflict_do_update(
        index_elements=[f.c.student_id, f.c.month],
        set_={
            "confirmed_minutes": f.c.confirmed_minutes + stmt.excluded.confirmed_minutes,
            "pending_minutes": f.c.pending_minutes + stmt.excluded.pending_minutes,
        },
        # A closed month shows its stored figures; a late check-out does not move them.
        where=f.c.closed == false(),
    )


_ADD: dict[str, object] = {}


def _add_stmt(column: str):
    """Build once: add minutes to one stored student-month (not a closed one)."""
    f = F.__table__
    return (
        update(f)
        .where(
            f.c.student_id == bindparam("student"),
            f.c.month == bindparam("m"),
            f.c.closed == false(),
        )
        .values({column: f.c[column] + bindparam("minutes")})
    )


def add_session_minutes(session_id: int) -> None:
    """Add a just-closed session's minutes to its student-months: one UPDATE by primary
    key each (the scan path; the session is in the identity map, its months split as
    sync_months splits them). A month without a row (or a closed one) takes the upsert
    that reads the flushed SessionMonth row."""
    s = db.session.get(ServiceSession, session_id)
    if s is None or s.check_out_at is None or s.status not in COUNTED:
        return
    column = f"{s.status}_minutes"
    stmt = _ADD.get(column)
    if stmt is None:
        stmt = _ADD[column] = _add_stmt(column)
    conn = db.session.connection()
    parts = split_minutes_by_month(s.check_in_at, s.check_out_at, clock.business_tz())
    for month, minutes in parts.items():
        if not minutes:
            continue
        found = conn.execute(stmt, {"student": s.student_id, "m": month, "minutes": minutes})
        if found.rowcount == 0:
            dialect = db.session.get_bind().dialect.name
            upsert = _SCAN_UPSERT.get(dialect)
            if upsert is None:
                upsert = _SCAN_UPSERT[dialect] = _scan_upsert(dialect)
            conn.execute(upsert, {"session_id": session_id, "month": month})


def session_months(session_id: int) -> set[str]:
    """Return the months a session's minutes fall in."""
    return set(
        db.session.scalars(select(SessionMonth.month).where(SessionMonth.session_id == session_id))
    )
