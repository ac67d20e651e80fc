"""Month rows (R18, R19, R20): each student's requirement, minutes and status for a month.

Computed for any number of students with a bounded number of grouped queries (students,
minutes per status, agreements, exemptions, calendar overrides, month closes, stored
figures); the arithmetic per student is O(1) per agreement through MonthCalendar.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import Select, select

from .. import clock
from ..calendar.rules import MonthCalendar, month_bounds
from ..extensions import db
from ..students.models import Student
from .loading import (  # noqa: F401  (load_closes, enterprise_month_students: re-exported)
    MonthInputs,
    check_select,
    enterprise_month_students,
    load_closes,
    load_inputs,
)
from .rules import (
    STATUSES,
    AgreementSpan,
    allowed_days_left,
    compliance_rate,
    gross_requirement_minutes,
    month_status,
    needed_minutes,
    net_required_minutes,
    pace_minutes_per_day,
)


@dataclass(slots=True)
class MonthRow:
    """A student's figures for one month (API.md MonthRow, and more for the pages)."""

    student_id: int
    student_name: str
    union_code: str
    phone: str
    month: str
    gross_minutes: int
    required_minutes: int
    confirmed_minutes: int
    pending_minutes: int
    exempt_minutes: int
    status: str
    allowed_days_left: int
    needed_minutes: int
    pace_minutes_per_day: int | None
    has_agreement: bool
    union_path: str = ""
    is_closed: bool = False
    # True when the figures come from the MonthFigure stored at close.
    stored: bool = False
    # Enterprises of the signed agreements that cover part of the month.
    enterprise_ids: tuple[int, ...] = field(default_factory=tuple)
    # Allowed days left from each day of the month, two digits a day (only when asked:
    # the read model stores it, see readmodel.py).
    days_profile: str = ""

    def to_dict(self) -> dict:
        """Serialise as the API's MonthRow object (with a few extra fields)."""
        return {
            "student_id": self.student_id,
            "student_name": self.student_name,
            "union_code": self.union_code,
            "phone": self.phone,
            "month": self.month,
            "gross_minutes": self.gross_minutes,
            "required_minutes": self.required_minutes,
            "confirmed_minutes": self.confirmed_minutes,
            "pending_minutes": self.pending_minutes,
            "exempt_minutes": self.exempt_minutes,
            "status": self.status,
            "allowed_days_left": self.allowed_days_left,
            "needed_minutes": self.needed_minutes,
            "pace_minutes_per_day": self.pace_minutes_per_day,
            "has_agreement": self.has_agreement,
            "closed": self.is_closed,
        }


def _days_left(today: date, spans: list[AgreementSpan], cal: MonthCalendar) -> int:
    start = max(today, cal.first)
    if start > cal.last:
        return 0
    ordered = sorted(spans, key=lambda s: s.starts_on)
    if any(b.starts_on <= a.ends_on for a, b in zip(ordered, ordered[1:], strict=False)):
        # Overlapping spans (never written by R6, but be exact): count distinct days.
        return allowed_days_left(today, ordered, cal)
    return sum(
        cal.allowed_days(max(start, s.starts_on), s.ends_on, s.allow_workdays) for s in ordered
    )


def _span_key(span: AgreementSpan) -> tuple:
    return (span.starts_on, span.ends_on, span.monthly_hours, span.allow_workdays)


class _Month:
    """One month's fixed context while rows are made; memoises what students share."""

    def __init__(
        self,
        month: str,
        inputs: MonthInputs,
        today: date,
        final: bool,
        cap: float,
        profiles: bool = False,
    ):
        self.profiles = profiles
        self._profiles: dict[tuple, str] = {}
        self.month = month
        self.inputs = inputs
        self.today = today
        self.final = final
        self.cap = cap
        self.cal: MonthCalendar = inputs.calendars[month]
        self.closing = inputs.closes.get(month, set())
        # This month's figures by student id (int keys: the cheapest lookups per row).
        self.minutes = inputs.minutes.get(month, {})
        self.exemptions = inputs.exemptions.get(month, {})
        self.figures = inputs.figures.get(month, {})
        self.month_over = today > self.cal.last
        # Agreements were loaded for exactly this month: no need to filter them again.
        self.single = len(inputs.calendars) == 1
        self._closed_paths: dict[str, bool] = {}
        # Most students of a cohort share their agreement dates: compute those once.
        self._span_cache: dict[tuple, tuple[int, int]] = {}

    def is_closed(self, path: str) -> bool:
        """Tell whether a union path lies under a union that closed this month."""
        if self.final:
            return True
        if not self.closing:
            return False
        found = self._closed_paths.get(path)
        if found is None:
            codes = path.strip("/").split("/")
            found = self._closed_paths[path] = any(c in self.closing for c in codes)
        return found

    def span_figures(self, spans: tuple[AgreementSpan, ...], closed: bool) -> tuple[int, int]:
        """Return (gross minutes, allowed days left) of a set of spans."""
        # Keyed by identity: loading shares one object per distinct span, and they live
        # in self.inputs as long as this context, so no dataclass hash per student.
        key = (*map(id, spans), closed)
        found = self._span_cache.get(key)
        if found is None:
            gross = gross_requirement_minutes(spans, self.cal)
            frozen = self.month_over or closed
            days_left = 0 if frozen else _days_left(self.today, list(spans), self.cal)
            found = self._span_cache[key] = (gross, days_left)
        return found

    def days_profile(self, spans: tuple[AgreementSpan, ...]) -> str:
        """Return the allowed days left from each day of the month, two digits a day."""
        key = tuple(map(id, spans))
        found = self._profiles.get(key)
        if found is None:
            first, days = self.cal.first, self.cal.last.day
            found = self._profiles[key] = "".join(
                f"{_days_left(first.replace(day=d), list(spans), self.cal):02d}"
                for d in range(1, days + 1)
            )
        return found

    def row(self, student: tuple) -> MonthRow:
        """Make one student's row: stored figures for a closed month, else computed."""
        sid, name, union_code, phone, path, matched = student
        entries = self.inputs.agreements.get(sid, ())
        if entries and not self.single:
            first, last = self.cal.first, self.cal.last
            entries = [(e, s) for e, s in entries if s.starts_on <= last and s.ends_on >= first]
        closed = self.is_closed(path)
        if len(entries) == 1:
            enterprise_ids: tuple[int, ...] = (entries[0][0],)
            spans: tuple[AgreementSpan, ...] = (entries[0][1],)
        else:
            enterprise_ids = tuple(dict.fromkeys(e for e, _ in entries))
            spans = tuple(sorted((s for _, s in entries), key=_span_key))
        figure = self.figures.get(sid) if closed else None
        if figure is not None:
            gross, net, confirmed, pending, exempt, status = figure
            needed = needed_minutes(net, confirmed, pending)
            days_left, pace = 0, None
        else:
            gross, days_left = self.span_figures(spans, closed)
            exempt_total, whole = self.exemptions.get(sid, _NO_EXEMPTION)
            exempt = gross if whole else min(gross, exempt_total)
            net = net_required_minutes(gross, exempt)
            confirmed, pending = self.minutes.get(sid, _NO_MINUTES)
            status = month_status(
                gross_minutes=gross,
                exempt_minutes=exempt,
                confirmed=confirmed,
                pending=pending,
                days_left=days_left,
                daily_cap_hours=self.cap,
                month_over=self.month_over,
                closed=closed,
            )
            needed = needed_minutes(net, confirmed, pending)
            pace = pace_minutes_per_day(needed, days_left)
        out = MonthRow(
            sid,
            name,
            union_code,
            phone,
            self.month,
            gross,
            net,
            confirmed,
            pending,
            exempt,
            status,
            days_left,
            needed,
            pace,
            matched,
            path,
            closed,
            figure is not None,
            enterprise_ids,
        )
        if self.profiles:
            out.days_profile = self.days_profile(spans)
        return out


_NO_EXEMPTION = (0, False)
_NO_MINUTES = (0, 0)


def compute_rows_by_month(
    months: list[str],
    student_ids_select: Select,
    *,
    today: date | None = None,
    final: bool = False,
    use_stored: bool = True,
    profiles: bool = False,
) -> dict[str, list[MonthRow]]:
    """Compute month rows for several months at once (same bounded queries).

    `final` treats every month as closed (pending minutes no longer count), as closing
    does; `use_stored=False` ignores stored figures and recomputes from the records;
    `profiles` adds each row's days_profile (the read model stores it).
    """
    check_select(student_ids_select)
    months = sorted(set(months))
    if not months:
        return {}
    today = today or clock.today()
    cap = float(current_app.config.get("DAILY_CAP_HOURS", 8))
    inputs = load_inputs(months, student_ids_select, today, use_stored)
    late = registered_after(month_bounds(months[0])[1], student_ids_select)
    out: dict[str, list[MonthRow]] = {}
    for month in months:
        ctx = _Month(month, inputs, today, final, cap, profiles)
        last = month_bounds(month)[1]
        # A student registered after a month ended was not in the programme that month.
        out[month] = [ctx.row(s) for s in inputs.students if late.get(s[0], last) <= last]
    return out


def registered_after(day: date, student_ids_select: Select) -> dict[int, date]:
    """Return {student id: local registration date} of the students registered after
    `day` (few: the newly registered), in one query."""
    tz = clock.business_tz()
    after = datetime(day.year, day.month, day.day, tzinfo=tz) + timedelta(days=1)
    rows = db.session.execute(
        select(Student.id, Student.created_at).where(
            Student.id.in_(student_ids_select), Student.created_at >= after
        )
    ).all()
    return {sid: clock.to_local(at).date() for sid, at in rows}


def compute_month_rows(
    month: str, student_ids_select: Select, *, today: date | None = None
) -> list[MonthRow]:
    """Compute the month rows of the selected students (a select of Student.id)."""
    return compute_rows_by_month([month], student_ids_select, today=today)[month]


def summary(rows: list[MonthRow]) -> dict:
    """Count rows per status; the compliance rate (R19) and the unmatched count."""
    counts = {status: 0 for status in STATUSES}
    required = met = unmatched = 0
    for row in rows:
        counts[row.status] = counts.get(row.status, 0) + 1
        if row.required_minutes > 0:
            required += 1
            met += row.status == "met"
        unmatched += not row.has_agreement
    return {
        **counts,
        "compliance_rate": compliance_rate(met, required),
        "unmatched": unmatched,
        "total": len(rows),
        "required_count": required,
    }
