"""Check the read model against the raw rows (verify-figures) and fill it (backfill-figures)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, func, insert, select

from .. import clock
from ..agreements.models import Agreement
from ..calendar.rules import month_of, months_between
from ..checkin.models import SessionMonth
from ..extensions import db
from ..students.models import Student
from .models import Exemption, MonthFigure
from .models import StudentMonthFigure as F
from .monthrows import compute_rows_by_month
from .readmodel import FIGURE_FIELDS, is_blank, values_of
from .readmodel_sql import Today, days_left_sql, status_sql

# Compared as the reads see them today, besides the stored columns.
DERIVED = ("status", "allowed_days_left")


@dataclass(frozen=True)
class Difference:
    """One field of one student-month where the table and the raw rows disagree."""

    month: str
    student_id: int
    field: str
    table: object
    computed: object

    def __str__(self) -> str:
        return (
            f"{self.month} student {self.student_id}: {self.field} "
            f"table={self.table!r} computed={self.computed!r}"
        )


def known_months() -> list[str]:
    """Every month some raw row or stored figure touches (agreements: their whole span)."""
    months: set[str] = set()
    for column in (F.month, SessionMonth.month, Exemption.month, MonthFigure.month):
        months.update(db.session.scalars(select(column).distinct()))
    first, last = db.session.execute(
        select(func.min(Agreement.starts_on), func.max(Agreement.ends_on))
    ).one()
    if first is not None:
        months.update(months_between(month_of(first), month_of(last)))
    return sorted(months)


def _table_rows(month: str, t: Today) -> dict[int, dict]:
    columns = [getattr(F, name) for name in FIGURE_FIELDS]
    rows = db.session.execute(
        select(F.student_id, *columns, status_sql(t), days_left_sql(t)).where(F.month == month)
    )
    out = {}
    for row in rows:
        values = dict(zip(FIGURE_FIELDS, row[1:-2], strict=True))
        values["closed"] = bool(values["closed"])
        values["status"], values["allowed_days_left"] = row[-2], int(row[-1])
        out[row[0]] = values
    return out


def verify_month(month: str, today: date | None = None) -> list[Difference]:
    """Compare one month of the table with a recomputation from the raw rows."""
    today = today or clock.today()
    db.session.flush()
    table = _table_rows(month, Today.of(month, today))
    computed = compute_rows_by_month([month], select(Student.id), today=today, profiles=True)
    out: list[Difference] = []
    for row in computed[month]:
        stored = table.pop(row.student_id, None)
        if stored is None:
            if not is_blank(row):
                out.append(Difference(month, row.student_id, "row", None, "missing"))
            continue
        expected = values_of(row)
        expected["status"], expected["allowed_days_left"] = row.status, row.allowed_days_left
        for name in (*FIGURE_FIELDS, *DERIVED):
            if stored[name] != expected[name]:
                out.append(Difference(month, row.student_id, name, stored[name], expected[name]))
    for student_id in sorted(table):
        out.append(Difference(month, student_id, "row", "present", "no such student"))
    return out


def verify(months: list[str] | None = None, today: date | None = None) -> list[Difference]:
    """Compare the given months (default: every known month) with a recomputation."""
    out: list[Difference] = []
    for month in months or known_months():
        out.extend(verify_month(month, today))
    return out


def backfill(months: list[str] | None = None) -> dict[str, int]:
    """Rewrite the table for the given months (default: every known month) from the raw
    rows; commits once per month. Returns the rows written per month."""
    written = {}
    for month in months or known_months():
        rows = compute_rows_by_month([month], select(Student.id), profiles=True)[month]
        values = [values_of(r) for r in rows if not is_blank(r)]
        db.session.execute(delete(F).where(F.month == month))
        for start in range(0, len(values), 5000):
            db.session.execute(insert(F), values[start : start + 5000])
        db.session.commit()
        written[month] = len(values)
    return written
