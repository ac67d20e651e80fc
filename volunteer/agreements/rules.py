"""Agreement rules (R5, R6): kinds and defaults, derived status, dates, capacity."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from datetime import date, datetime, timedelta
from typing import Any

from volunteer.errors import N_, ValidationError
from volunteer.texts import labelled_text

KINDS = ("volunteer", "internship")
STATUSES = ("pending", "scheduled", "active", "ended", "terminated")
# Statuses whose agreements still hold a place (R6); a terminated one holds its
# days before the effective date, which `occupied_span` expresses by its dates.
HOLDING_STATUSES = ("pending", "scheduled", "active")
MAX_YEARS = 5
MAX_MONTHLY_HOURS = 240
_DEFAULTS = {
    "volunteer": {"monthly_hours": 24, "allow_workdays": False},
    "internship": {"monthly_hours": 0, "allow_workdays": True},
}
_ONE_DAY = timedelta(days=1)


def defaults_for_kind(kind: str) -> dict[str, Any]:
    """Return the default monthly_hours and allow_workdays of an agreement kind."""
    if kind not in _DEFAULTS:
        raise ValidationError.field(
            "kind", N_("协议类型应为 volunteer（志愿服务）或 internship（实习）")
        )
    return dict(_DEFAULTS[kind])


def agreement_terms(
    kind: str | None = None,
    monthly_hours: int | None = None,
    allow_workdays: bool | None = None,
) -> dict[str, Any]:
    """Return {kind, monthly_hours, allow_workdays} with defaults by kind applied and checked."""
    kind = kind or "volunteer"
    terms = {"kind": kind, **defaults_for_kind(kind)}
    if monthly_hours is not None:
        # bool is an int in Python; True hours is a client bug, not 1 hour.
        if isinstance(monthly_hours, bool) or not isinstance(monthly_hours, int):
            raise ValidationError.field("monthly_hours", N_("每月时长应为整数小时"))
        if not 0 <= monthly_hours <= MAX_MONTHLY_HOURS:
            raise ValidationError.field(
                "monthly_hours", N_("每月时长应在0到%(n)s小时之间", n=MAX_MONTHLY_HOURS)
            )
        terms["monthly_hours"] = monthly_hours
    if allow_workdays is not None:
        if not isinstance(allow_workdays, bool):
            raise ValidationError.field("allow_workdays", N_("allow_workdays 应为 true 或 false"))
        terms["allow_workdays"] = allow_workdays
    return terms


def is_signed(
    *,
    student_signed_at: datetime | None,
    enterprise_signed_at: datetime | None,
    paper_signed_on: date | None,
    today: date,
) -> bool:
    """Return whether the agreement is in force: both parties signed, or a paper copy was."""
    if paper_signed_on is not None and paper_signed_on <= today:
        return True
    return student_signed_at is not None and enterprise_signed_at is not None


def agreement_status(
    *,
    starts_on: date,
    ends_on: date,
    student_signed_at: datetime | None,
    enterprise_signed_at: datetime | None,
    paper_signed_on: date | None,
    terminated_on: date | None,
    today: date,
) -> str:
    """Return the status on `today`: pending, scheduled, active, ended or terminated."""
    # Before its effective date a termination changes nothing: the agreement runs on.
    if terminated_on is not None and today >= terminated_on:
        return "terminated"
    signed = is_signed(
        student_signed_at=student_signed_at,
        enterprise_signed_at=enterprise_signed_at,
        paper_signed_on=paper_signed_on,
        today=today,
    )
    # An unsigned agreement stays pending even after its dates: nobody agreed to it.
    if not signed:
        return "pending"
    if today < starts_on:
        return "scheduled"
    if today <= ends_on:
        return "active"
    return "ended"


def effective_end(ends_on: date, terminated_on: date | None) -> date:
    """Return the last day the agreement covers.

    `terminated_on` is the termination's effective date: the first day no longer
    covered, so the last covered day is the day before it (never after `ends_on`).
    The result is before `starts_on` when an agreement is cancelled before it begins.
    """
    if terminated_on is None:
        return ends_on
    return min(ends_on, terminated_on - _ONE_DAY)


def occupied_span(
    starts_on: date, ends_on: date, terminated_on: date | None
) -> tuple[date, date] | None:
    """Return the inclusive days the agreement holds (R6), or None when it holds none."""
    last = effective_end(ends_on, terminated_on)
    return (starts_on, last) if last >= starts_on else None


def validate_dates(starts_on: date, ends_on: date) -> None:
    """Raise ValidationError on ends_on when it is before starts_on or too far after it."""
    if ends_on < starts_on:
        raise ValidationError.field("ends_on", N_("结束日期不能早于开始日期"))
    if ends_on >= _add_years(starts_on, MAX_YEARS):
        raise ValidationError.field("ends_on", N_("协议期限不能超过%(n)s年", n=MAX_YEARS))


def validate_termination(ends_on: date, effective_on: date) -> None:
    """Raise ValidationError on effective_on when it is after the natural end."""
    # Effective on or before `starts_on` is allowed: it cancels the agreement outright.
    if effective_on > ends_on:
        raise ValidationError.field("effective_on", N_("终止生效日期应不晚于协议结束日期"))


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def overlaps(a_start: date, a_end: date, b_start: date, b_end: date) -> bool:
    """Return whether two inclusive date ranges share at least one day."""
    return a_start <= b_end and b_start <= a_end


def peak_occupancy(spans: Iterable[tuple[date, date, Hashable]], start: date, end: date) -> int:
    """Return the most distinct students holding a place on any one day of [start, end]."""
    by_student: dict[Hashable, list[tuple[date, date]]] = {}
    for span_start, span_end, student_id in spans:
        low, high = max(span_start, start), min(span_end, end)
        if low <= high:
            by_student.setdefault(student_id, []).append((low, high))
    events: list[tuple[date, int]] = []
    for intervals in by_student.values():
        # Merge one student's spans so that a student counts once per day.
        for low, high in _merged(intervals):
            events.append((low, 1))
            events.append((high + _ONE_DAY, -1))
    # On one date, departures (-1) sort before arrivals (+1): spans are inclusive.
    events.sort()
    peak = current = 0
    for _, delta in events:
        current += delta
        peak = max(peak, current)
    return peak


def _merged(intervals: list[tuple[date, date]]) -> list[tuple[date, date]]:
    """Return inclusive date intervals merged where they overlap or touch."""
    intervals.sort()
    merged = [intervals[0]]
    for low, high in intervals[1:]:
        last_low, last_high = merged[-1]
        if low <= last_high + _ONE_DAY:
            merged[-1] = (last_low, max(last_high, high))
        else:
            merged.append((low, high))
    return merged


def capacity_allows(
    existing_spans: Iterable[tuple[date, date, Hashable]],
    new_span_start: date,
    new_span_end: date,
    student_id: Hashable,
    capacity: int,
) -> bool:
    """Return whether adding the student's span keeps every day within `capacity`."""
    spans = [*existing_spans, (new_span_start, new_span_end, student_id)]
    return peak_occupancy(spans, new_span_start, new_span_end) <= capacity


# --- terms and insurance (R37) -------------------------------------------------------

# field: (the most characters, its name for a person)
TERM_TEXTS = {
    "service_content": (1000, N_("服务内容")),
    "safety_measures": (1000, N_("安全保障")),
    "insurer": (100, N_("保险公司")),
    "policy_number": (64, N_("保单号")),
}
TERM_DATES = ("insured_from", "insured_to")
TERM_FIELDS = (*TERM_TEXTS, *TERM_DATES)


def clean_terms(values: dict[str, Any], current: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the clean terms present in `values`; the insurance period is checked against
    `current` (the stored terms) for the bound not given. 400 naming the field."""
    clean: dict[str, Any] = {}
    for field in TERM_TEXTS:
        if field in values:
            limit, label = TERM_TEXTS[field]
            clean[field] = labelled_text(field, values[field], limit, label)
    for field in TERM_DATES:
        if field in values:
            value = values[field]
            if value is not None and not isinstance(value, date):
                raise ValidationError.field(field, N_("应为日期（YYYY-MM-DD）。"))
            clean[field] = value
    merged = {**(current or {}), **clean}
    start, end = merged.get("insured_from"), merged.get("insured_to")
    if start is not None and end is not None and end < start:
        raise ValidationError.field("insured_to", N_("保险截止日期不能早于保险起始日期"))
    return clean


def insured_on(insured_from: date | None, insured_to: date | None, day: date) -> bool:
    """Tell whether an insurance period covers `day`; with no start there is no insurance,
    with no end it runs on."""
    if insured_from is None or day < insured_from:
        return False
    return insured_to is None or day <= insured_to
