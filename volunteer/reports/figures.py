"""The compliance figures reports are built on: month rows, groups and rate history.

Reports never recompute R18/R19 themselves; they ask compliance, so that a report, the
dashboard and a month close always agree.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Select

from ..calendar.rules import add_months
from ..compliance.services import (
    GroupFigures,
    MonthRow,
    compute_month_rows,
    compute_rows_by_month,
    enterprise_groups,
    summary,
    union_groups,
)
from ..unions.models import Union

__all__ = ["GroupFigures", "MonthRow", "enterprise_groups", "union_groups"]


def month_rows(month: str, student_ids: Select, today: date) -> dict[int, MonthRow]:
    """Return the month rows of the selected students, by student id."""
    return {row.student_id: row for row in compute_month_rows(month, student_ids, today=today)}


def month_row_list(month: str, student_ids: Select, today: date) -> list[MonthRow]:
    """Return the month rows of the selected students."""
    return compute_month_rows(month, student_ids, today=today)


def groups(rows: list[MonthRow], union: Union) -> tuple[list[GroupFigures], list[GroupFigures]]:
    """Return the rows grouped per child union and per enterprise."""
    return union_groups(rows, union), enterprise_groups(rows)


def rate_history(
    student_ids: Select, last_month: str, today: date, months: int = 12
) -> list[tuple[str, float | None]]:
    """Return [(YYYY-MM, rate or None)] for `months` months ending with `last_month`."""
    wanted = []
    for n in range(months - 1, -1, -1):
        try:
            wanted.append(add_months(last_month, -n))
        except ValueError:  # before the year 1: no month to show
            continue
    by_month = compute_rows_by_month(wanted, student_ids, today=today)
    out: list[tuple[str, float | None]] = []
    for month in wanted:
        figures = summary(by_month[month])
        out.append((month, figures["compliance_rate"] if figures["required_count"] else None))
    return out
