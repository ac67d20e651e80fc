"""Requirement, status and pace rules (R18, R19, R20)."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from volunteer.calendar.rules import MonthCalendar
from volunteer.compliance.rules import (
    CLOSED_STATUSES,
    STATUSES,
    AgreementSpan,
    allowed_days_left,
    capacity_minutes,
    compliance_rate,
    gross_requirement_minutes,
    month_status,
    needed_minutes,
    net_required_minutes,
    pace_minutes_per_day,
    round_up_minutes,
    span_share,
)

# November 2026: rest days are 1, 7, 8, 14, 15, 21, 22, 28, 29 (nine), no holidays.
NOV = MonthCalendar(2026, 11, {})
# October 2026: rest days 1-7, 11, 17, 18, 24, 25, 31 (13); Saturday 10th is a workday.
OCT = MonthCalendar(2026, 10, {})


def span(start, end, hours=24, workdays=False):
    return AgreementSpan(starts_on=start, ends_on=end, monthly_hours=hours, allow_workdays=workdays)


def d(day, month=11, year=2026):
    return date(year, month, day)


# --- gross requirement ----------------------------------------------------------------


def test_whole_month_requires_exactly_monthly_hours():
    assert gross_requirement_minutes([span(d(1), d(30))], NOV) == 24 * 60


def test_agreement_longer_than_the_month_requires_monthly_hours():
    assert gross_requirement_minutes([span(date(2026, 9, 1), date(2027, 6, 30))], NOV) == 1440


def test_partial_month_five_of_nine_days_rounds_up():
    # 1440 × 5/9 = 800 → rounded up to 810.
    assert gross_requirement_minutes([span(d(15), d(30))], NOV) == 810


def test_partial_month_exact_multiple_is_not_rounded_further():
    # 14th..30th holds 6 of the 9 rest days: 1440 × 6/9 = 960.
    assert gross_requirement_minutes([span(d(14), d(30))], NOV) == 960


def test_switching_enterprise_mid_month_owes_the_same_hours():
    first, second = span(d(1), d(14)), span(d(15), d(30))
    # Alone they would round to 660 and 810 (1470); the sum is rounded once.
    assert gross_requirement_minutes([first], NOV) == 660
    assert gross_requirement_minutes([second], NOV) == 810
    assert gross_requirement_minutes([first, second], NOV) == 1440


def test_exact_fractions_not_floats():
    # Seven rest days (28th and 29th made workdays), spans holding 1, 5 and 1 of them.
    cal = MonthCalendar(2026, 11, {d(28): "work", d(29): "work"})
    spans = [span(d(1), d(1)), span(d(2), d(21)), span(d(22), d(30))]
    assert 1440 * 1 / 7 + 1440 * 5 / 7 + 1440 * 1 / 7 > 1440  # floats would round to 1470
    assert gross_requirement_minutes(spans, cal) == 1440


def test_adjusted_working_saturday_is_not_counted():
    # 8th..17th in October: rest days 11 and 17 (the 10th is an adjusted workday).
    assert gross_requirement_minutes([span(d(8, 10), d(17, 10))], OCT) == 240  # 221.5 → 240
    assert span_share(span(d(8, 10), d(17, 10)), OCT) == Fraction(1440 * 2, 13)


def test_holiday_week_counts_for_volunteering():
    # 1st..7th of October are seven of its thirteen rest days.
    assert span_share(span(d(1, 10), d(7, 10)), OCT) == Fraction(1440 * 7, 13)
    assert gross_requirement_minutes([span(d(1, 10), d(7, 10))], OCT) == 780  # 775.38 → 780


def test_allow_workdays_counts_every_day_in_both():
    # Internship, 40 h, second half of November: 15 of 30 days.
    internship = span(d(16), d(30), hours=40, workdays=True)
    assert gross_requirement_minutes([internship], NOV) == 1200


def test_mixed_spans():
    volunteer = span(d(1), d(15))  # 5 of 9 rest days: 800
    internship = span(d(16), d(30), hours=40, workdays=True)  # 1200
    assert gross_requirement_minutes([volunteer, internship], NOV) == 2010  # 2000 → 2010


def test_span_outside_month_contributes_nothing():
    assert gross_requirement_minutes([span(d(1, 10), d(31, 10))], NOV) == 0
    assert gross_requirement_minutes([span(d(1, 12), d(31, 12))], NOV) == 0
    assert gross_requirement_minutes([], NOV) == 0


def test_span_with_no_allowed_day_inside_contributes_nothing():
    # 2nd..6th of November are all workdays.
    assert gross_requirement_minutes([span(d(2), d(6))], NOV) == 0


def test_month_without_allowed_days_contributes_zero():
    every_weekend_worked = {day: "work" for day, kind, _ in NOV.days if kind == "rest"}
    cal = MonthCalendar(2026, 11, every_weekend_worked)
    assert gross_requirement_minutes([span(d(1), d(30))], cal) == 0
    # The same month with workdays allowed still requires the hours.
    assert gross_requirement_minutes([span(d(1), d(30), workdays=True)], cal) == 1440


def test_terminated_span_is_cut():
    # Terminated effective 8th (cut by the caller): 1, 7, 8 → 1440 × 3/9 = 480.
    assert gross_requirement_minutes([span(d(1), d(8))], NOV) == 480


def test_zero_monthly_hours_requires_nothing():
    assert gross_requirement_minutes([span(d(1), d(30), hours=0, workdays=True)], NOV) == 0


def test_uncovered_year_uses_weekends():
    cal = MonthCalendar(2031, 10, {})  # eight weekend days, National Day unknown
    assert gross_requirement_minutes([span(date(2031, 10, 1), date(2031, 10, 5))], cal) == 360


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, 0),
        (-10, 0),
        (1, 30),
        (30, 30),
        (31, 60),
        (Fraction(1, 3), 30),
        (Fraction(1800, 1), 1800),
    ],
)
def test_round_up_minutes(value, expected):
    assert round_up_minutes(value) == expected


def test_net_required_never_below_zero():
    assert net_required_minutes(1440, 0) == 1440
    assert net_required_minutes(1440, 600) == 840
    assert net_required_minutes(1440, 1440) == 0
    assert net_required_minutes(1440, 5000) == 0


# --- allowed days left ----------------------------------------------------------------


def test_days_left_counts_today_when_allowed():
    whole = [span(d(1), d(30))]
    assert allowed_days_left(d(21), whole, NOV) == 4  # 21, 22, 28, 29
    assert allowed_days_left(d(23), whole, NOV) == 2  # 28, 29
    assert allowed_days_left(d(29), whole, NOV) == 1
    assert allowed_days_left(d(30), whole, NOV) == 0


def test_days_left_before_the_month_counts_the_whole_month():
    assert allowed_days_left(date(2026, 10, 20), [span(d(1), d(30))], NOV) == 9


def test_days_left_after_the_month_is_zero():
    assert allowed_days_left(date(2026, 12, 1), [span(d(1), d(30))], NOV) == 0


def test_days_left_only_inside_a_span():
    assert allowed_days_left(d(1), [span(d(1), d(14))], NOV) == 4  # 1, 7, 8, 14
    assert allowed_days_left(d(1), [], NOV) == 0


def test_days_left_counts_overlapping_days_once():
    spans = [span(d(1), d(15)), span(d(10), d(30))]
    assert allowed_days_left(d(1), spans, NOV) == 9


def test_days_left_each_span_with_its_own_setting():
    spans = [span(d(1), d(15)), span(d(16), d(30), workdays=True)]
    assert allowed_days_left(d(10), spans, NOV) == 2 + 15  # 14, 15 + every day 16..30


def test_days_left_skips_adjusted_workday():
    assert allowed_days_left(d(8, 10), [span(d(1, 10), d(31, 10))], OCT) == 6


# --- status ---------------------------------------------------------------------------


def status(**kw):
    base = {
        "gross_minutes": 1440,
        "exempt_minutes": 0,
        "confirmed": 0,
        "pending": 0,
        "days_left": 9,
        "daily_cap_hours": 8,
        "month_over": False,
        "closed": False,
    }
    base.update(kw)
    return month_status(**base)


def test_statuses_in_r19_order():
    assert STATUSES == (
        "not_required",
        "exempt",
        "met",
        "awaiting_confirmation",
        "missed",
        "at_risk",
        "on_track",
    )
    assert set(CLOSED_STATUSES) == {"met", "missed", "exempt", "not_required"}


def test_not_required_when_gross_is_zero():
    assert status(gross_minutes=0) == "not_required"
    assert status(gross_minutes=0, exempt_minutes=600, closed=True) == "not_required"
    assert status(gross_minutes=0, month_over=True, days_left=0) == "not_required"


@pytest.mark.parametrize(("exempt", "expected"), [(1440, "exempt"), (9999, "exempt")])
def test_exempt_when_exemptions_cover_it(exempt, expected):
    assert status(exempt_minutes=exempt) == expected
    assert status(exempt_minutes=exempt, closed=True, month_over=True) == expected


def test_partial_exemption_is_not_exempt():
    assert status(exempt_minutes=1439, days_left=0, month_over=True) == "missed"
    assert status(exempt_minutes=1439, confirmed=1) == "met"


def test_met_boundary():
    assert status(confirmed=1440) == "met"
    assert status(confirmed=1439) != "met"
    assert status(confirmed=840, exempt_minutes=600) == "met"
    assert status(confirmed=1440, closed=True, month_over=True) == "met"


def test_awaiting_confirmation_boundary():
    assert status(confirmed=1000, pending=440) == "awaiting_confirmation"
    assert status(confirmed=0, pending=1440, month_over=True, days_left=0) == (
        "awaiting_confirmation"
    )
    assert status(confirmed=1000, pending=439) != "awaiting_confirmation"


def test_closed_ignores_pending():
    assert status(confirmed=1000, pending=440, closed=True, month_over=True) == "missed"
    assert status(confirmed=1000, pending=440, closed=True) == "missed"


def test_month_over_is_missed():
    assert status(confirmed=1430, month_over=True, days_left=5) == "missed"


def test_capacity_boundaries():
    # One allowed day left, 8 h cap: capacity 480, half 240.
    one_day = {"days_left": 1, "gross_minutes": 480}
    assert status(**one_day, confirmed=240) == "on_track"  # needed 240 = half
    assert status(**one_day, confirmed=239) == "at_risk"  # needed 241 > half
    assert status(**one_day, confirmed=0) == "at_risk"  # needed 480 = capacity
    assert status(days_left=1, gross_minutes=510, confirmed=29) == "missed"  # needed 481
    assert status(days_left=1, gross_minutes=510, confirmed=30) == "at_risk"  # needed 480


def test_pending_reduces_needed():
    # needed = 1440 − 600 − 600 = 240 against capacity 480: exactly half.
    assert status(confirmed=600, pending=600, days_left=1) == "on_track"
    assert status(confirmed=600, pending=599, days_left=1) == "at_risk"


def test_no_days_left_is_missed_before_month_end():
    assert status(confirmed=1410, days_left=0) == "missed"


def test_daily_cap_setting():
    assert status(days_left=3, daily_cap_hours=8) == "at_risk"  # 1440 vs 1440
    assert status(days_left=3, daily_cap_hours=16) == "on_track"  # 1440 vs 2880
    assert status(days_left=3, daily_cap_hours=4) == "missed"  # 1440 vs 720


def test_fresh_month_is_on_track():
    assert status(days_left=9) == "on_track"  # 1440 needed, capacity 4320


@settings(max_examples=200, deadline=None)
@given(
    gross=st.integers(0, 5000),
    exempt=st.integers(0, 5000),
    confirmed=st.integers(0, 5000),
    pending=st.integers(0, 5000),
    days=st.integers(0, 31),
    over=st.booleans(),
)
def test_closed_month_only_has_final_statuses(gross, exempt, confirmed, pending, days, over):
    kw = {
        "gross_minutes": gross,
        "exempt_minutes": exempt,
        "confirmed": confirmed,
        "pending": pending,
        "days_left": days,
        "daily_cap_hours": 8,
        "month_over": over,
    }
    closed = month_status(**kw, closed=True)
    assert closed in CLOSED_STATUSES
    assert month_status(**kw, closed=False) in STATUSES
    # Closing only ever removes the pending hope, it never upgrades a status.
    if closed == "missed":
        assert confirmed < net_required_minutes(gross, exempt)


# --- needed, pace, capacity, rate -----------------------------------------------------


def test_needed_minutes():
    assert needed_minutes(1440, 600, 240) == 600
    assert needed_minutes(1440, 1440, 240) == 0
    assert needed_minutes(0, 0, 0) == 0


def test_capacity_minutes():
    assert capacity_minutes(3, 8) == 1440
    assert capacity_minutes(0, 8) == 0
    assert capacity_minutes(-1, 8) == 0


@pytest.mark.parametrize(
    ("needed", "days", "expected"),
    [
        (600, 4, 150),
        (601, 4, 151),
        (1, 9, 1),
        (0, 3, 0),
        (600, 0, None),
        (600, -1, None),
    ],
)
def test_pace(needed, days, expected):
    assert pace_minutes_per_day(needed, days) == expected


@pytest.mark.parametrize(
    ("met", "count", "expected"),
    [(3, 4, 0.75), (0, 4, 0.0), (4, 4, 1.0), (0, 0, 0.0), (1, 3, 1 / 3)],
)
def test_compliance_rate(met, count, expected):
    assert compliance_rate(met, count) == pytest.approx(expected)


# --- properties -----------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(
    month=st.integers(1, 12),
    cuts=st.lists(st.integers(1, 27), max_size=3, unique=True),
    hours=st.integers(0, 60),
    workdays=st.booleans(),
)
def test_consecutive_spans_covering_the_month_owe_monthly_hours(month, cuts, hours, workdays):
    cal = MonthCalendar(2026, month, {})
    starts = [cal.first, *sorted(cal.first + timedelta(days=c) for c in cuts)]
    ends = [s - timedelta(days=1) for s in starts[1:]] + [cal.last]
    spans = [span(s, e, hours, workdays) for s, e in zip(starts, ends, strict=True)]
    assert gross_requirement_minutes(spans, cal) == hours * 60
