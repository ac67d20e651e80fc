"""Agreement rules (R5, R6): defaults, status, dates, overlaps and capacity."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from volunteer.agreements.rules import (
    KINDS,
    agreement_status,
    agreement_terms,
    capacity_allows,
    defaults_for_kind,
    effective_end,
    occupied_span,
    overlaps,
    peak_occupancy,
    validate_dates,
    validate_termination,
)
from volunteer.errors import ValidationError

D = date
SIGNED = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
START, END = D(2026, 3, 1), D(2026, 6, 30)


def field_error(exc_info: pytest.ExceptionInfo[ValidationError]) -> tuple[str, str]:
    assert exc_info.value.status == 400
    [(name, [message])] = exc_info.value.fields.items()
    return name, message


# --- kinds and terms ------------------------------------------------------------


def test_kinds():
    assert KINDS == ("volunteer", "internship")


def test_defaults_by_kind():
    assert defaults_for_kind("volunteer") == {"monthly_hours": 24, "allow_workdays": False}
    assert defaults_for_kind("internship") == {"monthly_hours": 0, "allow_workdays": True}


def test_defaults_are_a_fresh_copy():
    defaults_for_kind("volunteer")["monthly_hours"] = 99
    assert defaults_for_kind("volunteer")["monthly_hours"] == 24


@pytest.mark.parametrize("kind", ["", "Volunteer", "paid", None])
def test_unknown_kind(kind):
    with pytest.raises(ValidationError) as exc:
        defaults_for_kind(kind)
    assert field_error(exc)[0] == "kind"


def test_terms_apply_defaults_and_overrides():
    assert agreement_terms() == {"kind": "volunteer", "monthly_hours": 24, "allow_workdays": False}
    assert agreement_terms("internship", monthly_hours=40) == {
        "kind": "internship",
        "monthly_hours": 40,
        "allow_workdays": True,
    }
    assert agreement_terms("volunteer", allow_workdays=True)["allow_workdays"] is True
    assert agreement_terms("volunteer", monthly_hours=0)["monthly_hours"] == 0


@pytest.mark.parametrize("hours", [True, -1, 241, 24.5, "24"])
def test_terms_refuse_bad_hours(hours):
    with pytest.raises(ValidationError) as exc:
        agreement_terms("volunteer", monthly_hours=hours)
    assert field_error(exc)[0] == "monthly_hours"


@pytest.mark.parametrize("flag", [1, "true", 0])
def test_terms_refuse_non_boolean_allow_workdays(flag):
    with pytest.raises(ValidationError) as exc:
        agreement_terms("volunteer", allow_workdays=flag)
    assert field_error(exc)[0] == "allow_workdays"


# --- status ------------------------------------------------------------------------


def status(today, *, student=SIGNED, enterprise=SIGNED, paper=None, terminated=None):
    return agreement_status(
        starts_on=START,
        ends_on=END,
        student_signed_at=student,
        enterprise_signed_at=enterprise,
        paper_signed_on=paper,
        terminated_on=terminated,
        today=today,
    )


@pytest.mark.parametrize(
    "today,expected",
    [
        (D(2026, 1, 1), "scheduled"),
        (D(2026, 2, 28), "scheduled"),
        (D(2026, 3, 1), "active"),
        (D(2026, 5, 1), "active"),
        (D(2026, 6, 30), "active"),
        (D(2026, 7, 1), "ended"),
        (D(2030, 1, 1), "ended"),
    ],
)
def test_signed_agreement_follows_the_calendar(today, expected):
    assert status(today) == expected


@pytest.mark.parametrize(
    "student,enterprise",
    [(None, None), (SIGNED, None), (None, SIGNED)],
)
def test_pending_until_both_sign(student, enterprise):
    assert status(D(2026, 4, 1), student=student, enterprise=enterprise) == "pending"
    assert status(D(2026, 1, 1), student=student, enterprise=enterprise) == "pending"


def test_unsigned_agreement_stays_pending_after_its_dates():
    assert status(D(2026, 8, 1), student=None, enterprise=None) == "pending"


def test_paper_agreement_counts_as_signed():
    kw = {"student": None, "enterprise": None, "paper": D(2026, 2, 20)}
    assert status(D(2026, 2, 25), **kw) == "scheduled"
    assert status(D(2026, 3, 2), **kw) == "active"
    assert status(D(2026, 7, 2), **kw) == "ended"


def test_paper_signed_in_the_future_is_not_yet_signed():
    assert status(D(2026, 3, 5), student=None, enterprise=None, paper=D(2026, 3, 10)) == "pending"


def test_termination_applies_from_its_effective_date():
    terminated = D(2026, 4, 15)
    assert status(D(2026, 4, 14), terminated=terminated) == "active"
    assert status(D(2026, 4, 15), terminated=terminated) == "terminated"
    assert status(D(2026, 9, 1), terminated=terminated) == "terminated"


def test_termination_before_start_and_of_a_pending_agreement():
    assert status(D(2026, 1, 10), terminated=D(2026, 1, 10)) == "terminated"
    assert status(D(2026, 1, 9), terminated=D(2026, 1, 10)) == "scheduled"
    assert status(D(2026, 4, 1), student=None, terminated=D(2026, 4, 1)) == "terminated"


# --- effective end and occupied span ------------------------------------------------


def test_effective_end():
    assert effective_end(END, None) == END
    assert effective_end(END, D(2026, 4, 15)) == D(2026, 4, 14)
    assert effective_end(END, D(2026, 7, 1)) == END
    assert effective_end(END, D(2027, 1, 1)) == END
    assert effective_end(END, START) == D(2026, 2, 28)


def test_occupied_span():
    assert occupied_span(START, END, None) == (START, END)
    assert occupied_span(START, END, D(2026, 3, 2)) == (START, START)
    assert occupied_span(START, END, START) is None
    assert occupied_span(START, END, D(2026, 1, 1)) is None


# --- dates ---------------------------------------------------------------------------


def test_valid_dates_pass():
    validate_dates(START, START)
    validate_dates(START, END)
    validate_dates(D(2026, 1, 1), D(2030, 12, 31))


def test_end_before_start():
    with pytest.raises(ValidationError) as exc:
        validate_dates(START, START - timedelta(days=1))
    assert field_error(exc) == ("ends_on", "结束日期不能早于开始日期")


def test_at_most_five_years():
    with pytest.raises(ValidationError) as exc:
        validate_dates(D(2026, 1, 1), D(2031, 1, 1))
    assert field_error(exc) == ("ends_on", "协议期限不能超过5年")


def test_five_years_from_a_leap_day():
    validate_dates(D(2024, 2, 29), D(2029, 2, 27))
    with pytest.raises(ValidationError):
        validate_dates(D(2024, 2, 29), D(2029, 2, 28))


def test_termination_date():
    validate_termination(END, END)
    validate_termination(END, START - timedelta(days=30))
    with pytest.raises(ValidationError) as exc:
        validate_termination(END, END + timedelta(days=1))
    assert field_error(exc)[0] == "effective_on"


# --- overlaps -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "a,b,expected",
    [
        ((1, 10), (10, 20), True),  # sharing the last day
        ((1, 10), (11, 20), False),  # back to back
        ((1, 30), (5, 6), True),  # contained
        ((5, 5), (5, 5), True),  # one day each
        ((1, 4), (6, 9), False),
    ],
)
def test_overlaps_is_inclusive_and_symmetric(a, b, expected):
    a_span = (D(2026, 3, a[0]), D(2026, 3, a[1]))
    b_span = (D(2026, 3, b[0]), D(2026, 3, b[1]))
    assert overlaps(*a_span, *b_span) is expected
    assert overlaps(*b_span, *a_span) is expected


# --- occupancy and capacity -----------------------------------------------------------


def mar(day: int) -> date:
    return D(2026, 3, 1) + timedelta(days=day - 1)


def test_peak_of_nothing_is_zero():
    assert peak_occupancy([], mar(1), mar(31)) == 0


def test_peak_counts_distinct_students_on_the_busiest_day():
    spans = [
        (mar(1), mar(10), "a"),
        (mar(5), mar(20), "b"),
        (mar(8), mar(9), "c"),
        (mar(15), mar(31), "d"),
    ]
    assert peak_occupancy(spans, mar(1), mar(31)) == 3
    assert peak_occupancy(spans, mar(11), mar(31)) == 2
    assert peak_occupancy(spans, mar(21), mar(31)) == 1


def test_back_to_back_spans_do_not_stack():
    spans = [(mar(1), mar(10), "a"), (mar(11), mar(20), "b")]
    assert peak_occupancy(spans, mar(1), mar(31)) == 1
    spans.append((mar(10), mar(10), "c"))
    assert peak_occupancy(spans, mar(1), mar(31)) == 2


def test_one_student_counts_once_per_day():
    spans = [(mar(1), mar(10), "a"), (mar(5), mar(15), "a"), (mar(16), mar(20), "a")]
    assert peak_occupancy(spans, mar(1), mar(31)) == 1


def test_spans_outside_the_window_do_not_count():
    spans = [(mar(1), mar(4), "a"), (mar(1), mar(4), "b"), (mar(6), mar(9), "c")]
    assert peak_occupancy(spans, mar(5), mar(31)) == 1
    assert peak_occupancy(spans, mar(5), mar(5)) == 0
    assert peak_occupancy(spans, mar(4), mar(4)) == 2


def test_long_ranges_are_swept_not_walked():
    start = D(2000, 1, 1)
    spans = [
        (start + timedelta(days=i * 3), start + timedelta(days=i * 3 + 3000), i)
        for i in range(3000)
    ]
    assert peak_occupancy(spans, date.min, date.max - timedelta(days=1)) == 1001


days = st.integers(min_value=0, max_value=40)
span = st.tuples(days, days, st.integers(min_value=0, max_value=5)).map(
    lambda t: (mar(1) + timedelta(min(t[0], t[1])), mar(1) + timedelta(max(t[0], t[1])), t[2])
)


@settings(max_examples=200, deadline=None)
@given(spans=st.lists(span, max_size=12), window=st.tuples(days, days))
def test_peak_matches_a_day_by_day_count(spans, window):
    low, high = sorted(window)
    start, end = mar(1) + timedelta(low), mar(1) + timedelta(high)
    expected = 0
    day = start
    while day <= end:
        expected = max(expected, len({s for a, b, s in spans if a <= day <= b}))
        day += timedelta(days=1)
    assert peak_occupancy(spans, start, end) == expected


def test_capacity_allows_until_full():
    spans = [(mar(1), mar(31), "a"), (mar(10), mar(20), "b")]
    assert capacity_allows(spans, mar(1), mar(31), "c", 3)
    assert not capacity_allows(spans, mar(1), mar(31), "c", 2)
    assert capacity_allows(spans, mar(21), mar(31), "c", 2)  # b has left by then
    assert not capacity_allows(spans, mar(20), mar(31), "c", 2)  # b's last day


def test_student_already_holding_a_place_takes_no_extra_one():
    spans = [(mar(1), mar(31), "a"), (mar(1), mar(31), "b")]
    assert capacity_allows(spans, mar(5), mar(6), "a", 2)


def test_zero_capacity_allows_no_one():
    assert not capacity_allows([], mar(1), mar(1), "a", 0)
    assert capacity_allows([], mar(1), mar(1), "a", 1)
