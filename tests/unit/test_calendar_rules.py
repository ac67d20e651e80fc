"""Allowed-day calendar rules (R3, R4)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from volunteer.calendar.rules import (
    MonthCalendar,
    add_months,
    day_kind,
    is_year_covered,
    month_bounds,
    month_of,
    months_between,
    official_kind,
    parse_kind,
    parse_month,
    weekend_kind,
)
from volunteer.errors import ValidationError

# chinesecalendar 1.11 covers 2004..2026; 2027 is the first year it does not know.
UNCOVERED_YEAR = 2031


# --- official calendar ----------------------------------------------------------------


def test_national_day_is_official_rest_with_chinese_name():
    assert official_kind(date(2026, 10, 1)) == ("rest", "国庆节")


def test_adjusted_working_saturday_is_work():
    assert date(2026, 10, 10).weekday() == 5  # a Saturday
    assert official_kind(date(2026, 10, 10)) == ("work", "国庆节")


def test_adjusted_working_sunday_before_mid_autumn():
    assert date(2026, 9, 20).weekday() == 6
    assert official_kind(date(2026, 9, 20)) == ("work", "国庆节")


def test_plain_weekday_and_weekend_have_no_name():
    assert official_kind(date(2026, 11, 2)) == ("work", None)  # Monday
    assert official_kind(date(2026, 11, 7)) == ("rest", None)  # Saturday


def test_spring_festival_weekday_is_rest():
    assert date(2026, 2, 16).weekday() == 0
    assert official_kind(date(2026, 2, 16)) == ("rest", "春节")


def test_uncovered_year_gives_none():
    assert official_kind(date(UNCOVERED_YEAR, 10, 1)) is None
    assert official_kind(date(2027, 1, 1)) is None
    assert official_kind(date(2003, 5, 1)) is None


@pytest.mark.parametrize(
    ("year", "covered"),
    [
        (2003, False),
        (2004, True),
        (2025, True),
        (2026, True),
        (2027, False),
        (2031, False),
    ],
)
def test_is_year_covered(year, covered):
    assert is_year_covered(year) is covered


@pytest.mark.parametrize("year", [0, -5, 10000])
def test_is_year_covered_out_of_date_range(year):
    assert is_year_covered(year) is False


# --- day_kind -------------------------------------------------------------------------


def test_day_kind_official():
    assert day_kind(date(2026, 10, 1), {}) == ("rest", "official")
    assert day_kind(date(2026, 10, 10), {}) == ("work", "official")
    assert day_kind(date(2026, 10, 12), {}) == ("work", "official")


def test_override_wins_over_official():
    overrides = {date(2026, 10, 10): "rest", date(2026, 10, 1): "work"}
    assert day_kind(date(2026, 10, 10), overrides) == ("rest", "override")
    assert day_kind(date(2026, 10, 1), overrides) == ("work", "override")


def test_uncovered_year_falls_back_to_weekends_for_every_day():
    saturday = date(UNCOVERED_YEAR, 3, 1)
    assert saturday.weekday() == 5
    assert day_kind(saturday, {}) == ("rest", "weekend")
    assert day_kind(saturday + timedelta(days=2), {}) == ("work", "weekend")
    # National Day of an uncovered year is only a weekday until overridden.
    national_day = date(UNCOVERED_YEAR, 10, 1)
    assert national_day.weekday() == 2
    assert day_kind(national_day, {}) == ("work", "weekend")


def test_override_in_uncovered_year():
    d = date(UNCOVERED_YEAR, 10, 1)
    assert day_kind(d, {d: "rest"}) == ("rest", "override")


def test_override_with_bad_kind_is_refused():
    d = date(2026, 10, 1)
    with pytest.raises(ValidationError) as err:
        day_kind(d, {d: "holiday"})
    assert "kind" in err.value.fields


@pytest.mark.parametrize("value", ["rest", "work"])
def test_parse_kind_accepts(value):
    assert parse_kind(value) == value


@pytest.mark.parametrize("value", ["REST", "", None, 1, "休息"])
def test_parse_kind_refuses(value):
    with pytest.raises(ValidationError) as err:
        parse_kind(value)
    assert err.value.code == "validation_error"
    assert list(err.value.fields) == ["kind"]


def test_weekend_kind():
    assert weekend_kind(date(2026, 11, 28)) == "rest"  # Saturday
    assert weekend_kind(date(2026, 11, 29)) == "rest"  # Sunday
    assert weekend_kind(date(2026, 11, 30)) == "work"  # Monday


# --- months ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("month", "first", "last"),
    [
        ("2026-02", date(2026, 2, 1), date(2026, 2, 28)),
        ("2028-02", date(2028, 2, 1), date(2028, 2, 29)),
        ("2026-11", date(2026, 11, 1), date(2026, 11, 30)),
        ("2026-12", date(2026, 12, 1), date(2026, 12, 31)),
    ],
)
def test_month_bounds(month, first, last):
    assert month_bounds(month) == (first, last)


@pytest.mark.parametrize("value", ["2026-01", "2026-12", "1999-07"])
def test_parse_month_accepts(value):
    assert parse_month(value) == value


@pytest.mark.parametrize(
    "value",
    [
        "2026-13",
        "2026-00",
        "2026-1",
        "26-01",
        "2026/01",
        "2026-01-01",
        " 2026-01",
        "2026-01\n",
        "",
        "0000-01",
        "２０２６-01",
        None,
        202601,
        ["2026-01"],
    ],
)
def test_parse_month_refuses(value):
    with pytest.raises(ValidationError) as err:
        parse_month(value)
    assert err.value.status == 400
    assert list(err.value.fields) == ["month"]


def test_month_bounds_refuses_bad_month():
    with pytest.raises(ValidationError):
        month_bounds("2026-13")


@pytest.mark.parametrize(
    ("month", "n", "expected"),
    [
        ("2026-11", 1, "2026-12"),
        ("2026-12", 1, "2027-01"),
        ("2026-01", -1, "2025-12"),
        ("2026-11", 0, "2026-11"),
        ("2026-11", 14, "2028-01"),
        ("2026-03", -27, "2023-12"),
    ],
)
def test_add_months(month, n, expected):
    assert add_months(month, n) == expected


def test_add_months_out_of_range():
    with pytest.raises(ValueError):
        add_months("9999-12", 1)


def test_month_of_and_months_between():
    assert month_of(date(2026, 3, 9)) == "2026-03"
    assert months_between("2026-11", "2027-02") == [
        "2026-11",
        "2026-12",
        "2027-01",
        "2027-02",
    ]
    assert months_between("2026-11", "2026-11") == ["2026-11"]
    assert months_between("2026-12", "2026-11") == []


# --- MonthCalendar --------------------------------------------------------------------


def test_october_2026_calendar():
    cal = MonthCalendar(2026, 10, {})
    assert len(cal.days) == 31
    assert cal.days[0] == (date(2026, 10, 1), "rest", "official")
    assert cal.days[9] == (date(2026, 10, 10), "work", "official")
    rest = [d.day for d, kind, _ in cal.days if kind == "rest"]
    assert rest == [1, 2, 3, 4, 5, 6, 7, 11, 17, 18, 24, 25, 31]
    assert cal.is_rest(date(2026, 10, 3))
    assert not cal.is_rest(date(2026, 10, 10))
    assert cal.label == "2026-10"
    assert cal.is_covered


def test_allowed_days_counts_rest_days_only_without_workdays():
    cal = MonthCalendar(2026, 10, {})
    assert cal.allowed_days(cal.first, cal.last, False) == 13
    assert cal.allowed_days(cal.first, cal.last, True) == 31
    # The 8th..17th: rest on 11 and 17 only (10 is an adjusted working Saturday).
    assert cal.allowed_days(date(2026, 10, 8), date(2026, 10, 17), False) == 2
    assert cal.allowed_days(date(2026, 10, 8), date(2026, 10, 17), True) == 10


def test_allowed_days_single_day():
    cal = MonthCalendar(2026, 10, {})
    assert cal.allowed_days(date(2026, 10, 1), date(2026, 10, 1), False) == 1
    assert cal.allowed_days(date(2026, 10, 10), date(2026, 10, 10), False) == 0
    assert cal.allowed_days(date(2026, 10, 10), date(2026, 10, 10), True) == 1


def test_allowed_days_clips_to_the_month():
    cal = MonthCalendar(2026, 11, {})
    assert cal.allowed_days(date(2026, 1, 1), date(2027, 12, 31), False) == 9
    assert cal.allowed_days(date(2026, 10, 15), date(2026, 11, 8), False) == 3  # 1, 7, 8
    assert cal.allowed_days(date(2026, 11, 28), date(2026, 12, 31), True) == 3


def test_allowed_days_outside_or_reversed_is_zero():
    cal = MonthCalendar(2026, 11, {})
    assert cal.allowed_days(date(2026, 10, 1), date(2026, 10, 31), True) == 0
    assert cal.allowed_days(date(2026, 12, 1), date(2026, 12, 31), True) == 0
    assert cal.allowed_days(date(2026, 11, 20), date(2026, 11, 10), True) == 0
    assert cal.allowed_dates(date(2026, 11, 20), date(2026, 11, 10), True) == []


def test_allowed_dates_lists_the_days():
    cal = MonthCalendar(2026, 11, {})
    assert cal.allowed_dates(date(2026, 11, 1), date(2026, 11, 15), False) == [
        date(2026, 11, 1),
        date(2026, 11, 7),
        date(2026, 11, 8),
        date(2026, 11, 14),
        date(2026, 11, 15),
    ]
    assert len(cal.allowed_dates(date(2026, 11, 1), date(2026, 11, 15), True)) == 15


def test_overrides_change_counts_and_sources():
    monday = date(2026, 11, 2)
    saturday = date(2026, 11, 7)
    outside = date(2026, 12, 5)
    cal = MonthCalendar(2026, 11, {monday: "rest", saturday: "work", outside: "work"})
    assert cal.kind_of(monday) == ("rest", "override")
    assert cal.kind_of(saturday) == ("work", "override")
    assert cal.kind_of(date(2026, 11, 8)) == ("rest", "official")
    assert cal.allowed_days(cal.first, cal.last, False) == 9  # one added, one removed
    assert cal.allowed_days(date(2026, 11, 1), date(2026, 11, 7), False) == 2  # 1 and 2


def test_uncovered_month_uses_weekends():
    cal = MonthCalendar(UNCOVERED_YEAR, 10, {})
    assert not cal.is_covered
    assert {source for _, _, source in cal.days} == {"weekend"}
    weekends = sum(1 for d, _, _ in cal.days if d.weekday() >= 5)
    assert cal.allowed_days(cal.first, cal.last, False) == weekends == 8


def test_for_month_and_february_leap_year():
    cal = MonthCalendar.for_month("2028-02", {})
    assert (cal.first, cal.last) == (date(2028, 2, 1), date(2028, 2, 29))
    assert len(cal.days) == 29


def test_is_rest_outside_month_raises():
    cal = MonthCalendar(2026, 11, {})
    with pytest.raises(ValueError):
        cal.is_rest(date(2026, 12, 1))
    assert date(2026, 11, 30) in cal
    assert date(2026, 12, 1) not in cal


def test_is_allowed():
    cal = MonthCalendar(2026, 10, {})
    assert cal.is_allowed(date(2026, 10, 10), True)
    assert not cal.is_allowed(date(2026, 10, 10), False)
    assert cal.is_allowed(date(2026, 10, 11), False)


@settings(max_examples=60, deadline=None)
@given(
    month=st.sampled_from([(2026, m) for m in range(1, 13)] + [(UNCOVERED_YEAR, 2)]),
    a=st.integers(-5, 40),
    b=st.integers(-5, 40),
    allow=st.booleans(),
)
def test_prefix_sums_match_a_plain_count(month, a, b, allow):
    cal = MonthCalendar(*month, {})
    start = cal.first + timedelta(days=a)
    end = cal.first + timedelta(days=b)
    expected = sum(1 for d, kind, _ in cal.days if start <= d <= end and (allow or kind == "rest"))
    assert cal.allowed_days(start, end, allow) == expected
    assert len(cal.allowed_dates(start, end, allow)) == expected
