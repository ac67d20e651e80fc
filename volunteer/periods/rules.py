"""Pure month arithmetic the locks need.

Periods sits below the calendar in the layer order (the calendar's own writes pass the
guard), so it keeps the few lines of month arithmetic it needs instead of importing
calendar.rules.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from ..errors import N_, ValidationError

_MONTH_RE = re.compile(r"(\d{4})-(0[1-9]|1[0-2])", re.ASCII)


def checked_month(value: object, field: str = "month") -> str:
    """Return a YYYY-MM month (years 2000–2100), else 400 naming `field`."""
    match = _MONTH_RE.fullmatch(value) if isinstance(value, str) else None
    if match is None or not 2000 <= int(match.group(1)) <= 2100:
        raise ValidationError.field(field, N_("月份格式应为 YYYY-MM。"))
    return value  # type: ignore[return-value]


def month_span(month: str) -> tuple[date, date]:
    """Return the first and last day of a valid YYYY-MM month."""
    year, mon = int(month[:4]), int(month[5:7])
    first = date(year, mon, 1)
    following = date(year + (mon == 12), mon % 12 + 1, 1)
    return first, following - timedelta(days=1)


def is_month_over(month: str, today: date) -> bool:
    """Tell whether a YYYY-MM month lies wholly before `today`'s month."""
    return month < f"{today.year:04d}-{today.month:02d}"
