"""Allowed days (R3, R4): official calendar, province overrides, weekend fallback."""

from __future__ import annotations

import calendar as _stdcal
import functools
import re
from collections.abc import Mapping
from datetime import date, timedelta

import chinese_calendar
from chinese_calendar.constants import Holiday, holidays

from volunteer.errors import N_, ValidationError

KINDS = ("rest", "work")
SOURCES = ("override", "official", "weekend")

_MONTH_RE = re.compile(r"(\d{4})-(\d{2})", re.ASCII)
_MONTH_REASON = N_("月份格式应为 YYYY-MM，例如 2026-11。")
_KIND_REASON = N_("类型应为 rest（休息日）或 work（工作日）。")
# The package stores English names; the product speaks Chinese.
_CHINESE_NAMES = {h.value: h.chinese for h in Holiday}


# The years whose official arrangement the package holds (it refuses others).
COVERED_YEARS = frozenset(day.year for day in holidays)


# The package is static data, so its answers can be kept for the process lifetime.
@functools.lru_cache(maxsize=4096)
def official_kind(d: date) -> tuple[str, str | None] | None:
    """Return (kind, Chinese holiday name) from chinesecalendar; None if uncovered."""
    if d.year not in COVERED_YEARS:
        return None
    is_rest, name = chinese_calendar.get_holiday_detail(d)
    chinese = _CHINESE_NAMES.get(name, name) if name else None
    return ("rest" if is_rest else "work", chinese)


def is_year_covered(year: int) -> bool:
    """Tell whether chinesecalendar holds the official calendar of `year`."""
    if not 1 <= year <= 9999:
        return False
    return official_kind(date(year, 1, 1)) is not None


def weekend_kind(d: date) -> str:
    """Return the fallback kind of a day: Saturday and Sunday rest, else work."""
    return "rest" if d.weekday() >= 5 else "work"


def parse_kind(value: object) -> str:
    """Validate a calendar override kind ("rest" or "work")."""
    if not isinstance(value, str) or value not in KINDS:
        raise ValidationError.field("kind", _KIND_REASON)
    return value


def day_kind(d: date, overrides: Mapping[date, str]) -> tuple[str, str]:
    """Return (kind, source) of a day: an override wins, then the official calendar."""
    override = overrides.get(d)
    if override is not None:
        return parse_kind(override), "override"
    official = official_kind(d)
    if official is None:
        return weekend_kind(d), "weekend"
    return official[0], "official"


def parse_month(s: object) -> str:
    """Validate a month written YYYY-MM and return it."""
    match = _MONTH_RE.fullmatch(s) if isinstance(s, str) else None
    if match is None:
        raise ValidationError.field("month", _MONTH_REASON)
    year, month = int(match.group(1)), int(match.group(2))
    if year < 1 or not 1 <= month <= 12:
        raise ValidationError.field("month", _MONTH_REASON)
    return s  # type: ignore[return-value]


def _year_month(month: str) -> tuple[int, int]:
    parse_month(month)
    return int(month[:4]), int(month[5:7])


def month_bounds(month: str) -> tuple[date, date]:
    """Return the first and last day of a YYYY-MM month."""
    year, mon = _year_month(month)
    return date(year, mon, 1), date(year, mon, _stdcal.monthrange(year, mon)[1])


def month_of(d: date) -> str:
    """Return the YYYY-MM month of a date."""
    return f"{d.year:04d}-{d.month:02d}"


def add_months(month: str, n: int) -> str:
    """Return the month `n` months after (negative: before) a YYYY-MM month."""
    year, mon = _year_month(month)
    index = year * 12 + (mon - 1) + n
    new_year, new_mon = divmod(index, 12)
    if not 1 <= new_year <= 9999:
        raise ValueError(f"month out of range: {month} + {n}")
    return f"{new_year:04d}-{new_mon + 1:02d}"


def months_between(first: str, last: str) -> list[str]:
    """List the months from `first` to `last`, both included (empty when reversed)."""
    out: list[str] = []
    current = parse_month(first)
    parse_month(last)
    while current <= last:
        out.append(current)
        if current == "9999-12":
            break
        current = add_months(current, 1)
    return out


class MonthCalendar:
    """The allowed-day calendar of one month, with O(1) range counts."""

    def __init__(self, year: int, month: int, overrides: Mapping[date, str]) -> None:
        self.year = year
        self.month = month
        self.first = date(year, month, 1)
        self.last = date(year, month, _stdcal.monthrange(year, month)[1])
        self.is_covered = is_year_covered(year)
        self.days: list[tuple[date, str, str]] = []
        # _rest_prefix[i] = rest days among days 1..i of the month.
        self._rest_prefix = [0]
        d = self.first
        while d <= self.last:
            kind, source = day_kind(d, overrides)
            self.days.append((d, kind, source))
            self._rest_prefix.append(self._rest_prefix[-1] + (kind == "rest"))
            d += timedelta(days=1)

    @classmethod
    def for_month(cls, month: str, overrides: Mapping[date, str]) -> MonthCalendar:
        """Build the calendar of a YYYY-MM month."""
        year, mon = _year_month(month)
        return cls(year, mon, overrides)

    @property
    def label(self) -> str:
        """Return the month as YYYY-MM."""
        return month_of(self.first)

    def __contains__(self, d: object) -> bool:
        return isinstance(d, date) and self.first <= d <= self.last

    def kind_of(self, d: date) -> tuple[str, str]:
        """Return (kind, source) of a day of this month."""
        if d not in self:
            raise ValueError(f"{d} is not in {self.label}")
        _, kind, source = self.days[d.day - 1]
        return kind, source

    def is_rest(self, d: date) -> bool:
        """Tell whether a day of this month is a rest day."""
        return self.kind_of(d)[0] == "rest"

    def is_allowed(self, d: date, allow_workdays: bool) -> bool:
        """Tell whether hours may be served on a day of this month (R3, R4)."""
        return allow_workdays or self.is_rest(d)

    def _clip(self, start: date, end: date) -> tuple[date, date] | None:
        start, end = max(start, self.first), min(end, self.last)
        return (start, end) if start <= end else None

    def allowed_days(self, start: date, end: date, allow_workdays: bool) -> int:
        """Count the allowed days in [start, end] clipped to this month."""
        clipped = self._clip(start, end)
        if clipped is None:
            return 0
        lo, hi = clipped
        if allow_workdays:
            return (hi - lo).days + 1
        return self._rest_prefix[hi.day] - self._rest_prefix[lo.day - 1]

    def allowed_dates(self, start: date, end: date, allow_workdays: bool) -> list[date]:
        """List the allowed days in [start, end] clipped to this month."""
        clipped = self._clip(start, end)
        if clipped is None:
            return []
        lo, hi = clipped
        return [
            d for d, kind, _ in self.days[lo.day - 1 : hi.day] if allow_workdays or kind == "rest"
        ]
