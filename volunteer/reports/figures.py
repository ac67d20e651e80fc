"""The compliance figures reports are built on: month rows, groups and rate history.

Reports never recompute R18/R19 themselves; they ask compliance, so that a report, the
dashboard and a month close always agree.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Select

from ..compliance import readmodel_reads
from ..compliance.groups import chart_months
from ..compliance.services import (
    GroupFigures,
    MonthRow,
    compute_month_rows,
    enterprise_groups,
    union_groups,
)
from ..compliance.services import rate_history as history_of
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


def read_model_enabled() -> bool:
    """Tell whether union-wide figures come from compliance's read model."""
    return readmodel_reads.enabled()


def table_groups(
    union: Union, month: str, today: date
) -> tuple[list[GroupFigures], list[GroupFigures]]:
    """Return a union subtree's month per child union and per enterprise (read model)."""
    table = readmodel_reads.SubtreeMonth(union, month, today)
    return table.union_groups(), table.enterprise_groups()


def table_history(
    union: Union, last_month: str, months: int = 12
) -> list[tuple[str, float | None]]:
    """Return the rate of `months` months ending with `last_month` (read model)."""
    year, month = (int(part) for part in last_month.split("-"))
    months = min(months, (year - 1) * 12 + month)  # no month before the year 1
    return readmodel_reads.rate_history(union, chart_months(months, last_month))


def rate_history(
    student_ids: Select,
    last_month: str,
    today: date,
    months: int = 12,
    known: dict[str, list[MonthRow]] | None = None,
) -> list[tuple[str, float | None]]:
    """Return [(YYYY-MM, rate or None)] for `months` months ending with `last_month`;
    `known` gives rows already computed for some months (not computed again)."""
    # Closed months are counted in SQL from their stored figures (compliance's own
    # history, as the dashboard shows it) instead of recomputing every student's rows.
    year, month = (int(part) for part in last_month.split("-"))
    months = min(months, (year - 1) * 12 + month)  # no month before the year 1
    return history_of(student_ids, months, today, last_month=last_month, known=known)
