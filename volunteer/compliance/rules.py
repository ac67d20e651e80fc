"""Monthly requirement, status and pace of a student (R18, R19, R20)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

from volunteer.calendar.rules import MonthCalendar

# R19 names the statuses in this order; month_status() decides them in it.
STATUSES = (
    "not_required",
    "exempt",
    "met",
    "awaiting_confirmation",
    "missed",
    "at_risk",
    "on_track",
)
# After a month is closed only these remain (R19).
CLOSED_STATUSES = ("not_required", "exempt", "met", "missed")
ROUNDING_MINUTES = 30


@dataclass(frozen=True)
class AgreementSpan:
    """The part of an agreement that can carry a requirement."""

    starts_on: date
    ends_on: date  # inclusive, already cut at a termination's effective date
    monthly_hours: int
    allow_workdays: bool

    def covers(self, d: date) -> bool:
        """Tell whether a date lies inside the span."""
        return self.starts_on <= d <= self.ends_on


def round_up_minutes(value: Fraction | int, step: int = ROUNDING_MINUTES) -> int:
    """Round a non-negative number of minutes up to a whole `step`."""
    if value <= 0:
        return 0
    return -(-Fraction(value) // step) * step


def span_share(span: AgreementSpan, cal: MonthCalendar) -> Fraction:
    """Return the exact requirement in minutes of one span for the month (R18)."""
    whole = cal.allowed_days(cal.first, cal.last, span.allow_workdays)
    if whole == 0:
        return Fraction(0)
    inside = cal.allowed_days(span.starts_on, span.ends_on, span.allow_workdays)
    return Fraction(span.monthly_hours * 60 * inside, whole)


def gross_requirement_minutes(spans: Iterable[AgreementSpan], cal: MonthCalendar) -> int:
    """Return the month's requirement before exemptions, rounded up to 30 minutes."""
    return round_up_minutes(sum((span_share(s, cal) for s in spans), Fraction(0)))


def net_required_minutes(gross: int, exempt_minutes: int) -> int:
    """Return the requirement after exemptions, never below 0."""
    return max(0, gross - exempt_minutes)


def allowed_days_left(today: date, spans: Iterable[AgreementSpan], cal: MonthCalendar) -> int:
    """Count distinct allowed days from today to the month's end inside any span."""
    spans = list(spans)
    day = max(today, cal.first)
    count = 0
    while day <= cal.last:
        if any(s.covers(day) and cal.is_allowed(day, s.allow_workdays) for s in spans):
            count += 1
        day += timedelta(days=1)
    return count


def needed_minutes(net: int, confirmed: int, pending: int) -> int:
    """Return the minutes still to serve: max(0, net - confirmed - pending)."""
    return max(0, net - confirmed - pending)


def capacity_minutes(days_left: int, daily_cap_hours: float) -> float:
    """Return how many minutes can still be served in the allowed days left."""
    return max(0, days_left) * daily_cap_hours * 60


def month_status(
    *,
    gross_minutes: int,
    exempt_minutes: int,
    confirmed: int,
    pending: int,
    days_left: int,
    daily_cap_hours: float,
    month_over: bool,
    closed: bool,
) -> str:
    """Return the status of a student-month, decided in the order of R19."""
    if gross_minutes <= 0:
        return "not_required"
    net = net_required_minutes(gross_minutes, exempt_minutes)
    if net == 0:
        return "exempt"
    if confirmed >= net:
        return "met"
    if closed:
        # A closed month is final: pending minutes no longer count.
        return "missed"
    if confirmed + pending >= net:
        return "awaiting_confirmation"
    if month_over:
        return "missed"
    needed = needed_minutes(net, confirmed, pending)
    capacity = capacity_minutes(days_left, daily_cap_hours)
    if needed > capacity:
        return "missed"
    if needed * 2 > capacity:
        return "at_risk"
    return "on_track"


def pace_minutes_per_day(needed: int, days_left: int) -> int | None:
    """Return the minutes per allowed day needed to finish (None without days left)."""
    if days_left <= 0:
        return None
    return -(-max(0, needed) // days_left)


def compliance_rate(met: int, required_count: int) -> float:
    """Return met ÷ students required, a fraction from 0 to 1 (0.0 for none)."""
    if required_count <= 0:
        return 0.0
    return min(1.0, max(0.0, met / required_count))
