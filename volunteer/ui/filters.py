"""Template filters: times in the business time zone, hours, dates."""

from __future__ import annotations

from datetime import date, datetime

from .. import clock


def localtime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Format an aware datetime in the business time zone."""
    if value is None:
        return ""
    return clock.to_local(value).strftime(fmt)


def hours(minutes: int | None) -> str:
    """Format minutes as hours with one decimal, e.g. 90 → 1.5."""
    if minutes is None:
        return ""
    return f"{minutes / 60:.1f}"


def isodate(value: date | None) -> str:
    """Format a date as YYYY-MM-DD."""
    return value.isoformat() if value else ""
