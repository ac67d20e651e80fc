"""Months and rates as the documents and the chart print them."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def month_text(month: str) -> str:
    """Return "YYYY-MM" as "2026年9月"; anything else unchanged."""
    year, _, mon = month.partition("-")
    if len(year) == 4 and year.isdigit() and mon.isdigit() and 1 <= int(mon) <= 12:
        return f"{int(year)}年{int(mon)}月"
    return month


def percent_text(rate: float | None) -> str:
    """Return a 0–1 rate as "87.5%" ("100%", not "100.0%"); empty for None."""
    if rate is None:
        return ""
    value = Decimal(str(rate * 100)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{value.normalize():f}%"
