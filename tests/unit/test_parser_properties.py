"""Property tests of the parsers and rules that had only examples: months, days, ID
numbers, phones, credit codes, password policy, certificate periods, session times,
and the order of month statuses. Whatever comes in, the answer is a value or a
ValidationError, never another exception."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from stdnum.cn import ric, uscc

from volunteer.auth.passwords import COMMON_PASSWORDS, MAX_LENGTH, MIN_LENGTH, check_policy
from volunteer.calendar.rules import add_months, month_bounds, months_between, parse_month
from volunteer.calendar.services import parse_day
from volunteer.checkin.rules import validate_session_times
from volunteer.compliance.rules import month_status, needed_minutes, round_up_minutes
from volunteer.errors import ValidationError
from volunteer.reports.rules import certificate_months
from volunteer.students.identity import (
    mask_id_number,
    normalize_credit_code,
    normalize_id_number,
    normalize_phone,
)

QUICK = settings(max_examples=300, deadline=None)
months = st.builds(lambda y, m: f"{y:04d}-{m:02d}", st.integers(1, 9999), st.integers(1, 12))
junk = st.one_of(
    st.text(max_size=40),
    st.binary(max_size=20),
    st.integers(),
    st.none(),
    st.booleans(),
    st.floats(allow_nan=True),
    st.lists(st.integers(), max_size=3),
)
# Text that looks almost right: digits, dashes, full-width digits, spaces.
near_dates = st.text(alphabet="0123456789-０１２ :T/", min_size=0, max_size=14)


def _value_or_validation_error(fn, value):
    try:
        return fn(value)
    except ValidationError as exc:
        assert exc.status == 400 and exc.fields
        return None


# --- months --------------------------------------------------------------------------


@QUICK
@given(st.one_of(junk, near_dates))
def test_parse_month_answers_a_month_or_400(value):
    month = _value_or_validation_error(parse_month, value)
    if month is not None:
        year, mon = int(month[:4]), int(month[5:7])
        assert month == value and len(month) == 7 and year >= 1 and 1 <= mon <= 12


@QUICK
@given(months)
def test_every_real_month_parses_and_bounds_it(month):
    assert parse_month(month) == month
    first, last = month_bounds(month)
    assert (first.day, f"{first.year:04d}-{first.month:02d}") == (1, month)
    assert f"{last.year:04d}-{last.month:02d}" == month
    assert last.day == 31 or (last + timedelta(days=1)).day == 1


@QUICK
@given(months, st.integers(-240, 240))
def test_add_months_is_undone_and_counts(month, n):
    try:
        moved = add_months(month, n)
    except ValueError:
        year = int(month[:4])
        assert year + n // 12 <= 1 or year + n // 12 >= 9998  # only at the calendar's ends
        return
    assert add_months(moved, -n) == month
    first, last = sorted((month, moved))
    span = months_between(first, last)
    assert len(span) == abs(n) + 1 and span[0] == first and span[-1] == last


# --- days --------------------------------------------------------------------------------


@QUICK
@given(st.one_of(junk, near_dates))
def test_parse_day_answers_a_date_or_400(value):
    day = _value_or_validation_error(parse_day, value)
    if day is not None:
        assert day.isoformat() == value and 2000 <= day.year <= 2100


@QUICK
@given(st.dates(date(2000, 1, 1), date(2100, 12, 31)))
def test_every_day_in_range_parses(day):
    assert parse_day(day.isoformat()) == day


# --- identity ------------------------------------------------------------------------


def _id_number(born: date, seq: int) -> str:
    body = f"610102{born:%Y%m%d}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")


@QUICK
@given(st.one_of(junk, st.text(alphabet="0123456789Xx -ｘ", max_size=22)))
def test_id_numbers_are_valid_or_400(value):
    number = _value_or_validation_error(
        lambda v: normalize_id_number(v, today=date(2026, 11, 28)), value
    )
    if number is not None:
        assert len(number) == 18 and ric.is_valid(number)


@QUICK
@given(
    st.dates(date(1930, 1, 1), date(2026, 11, 28)),
    st.integers(0, 999),
    st.sampled_from(["{}", " {} ", "{} "]),
)
def test_real_id_numbers_survive_spacing_and_masking(born, seq, layout):
    number = _id_number(born, seq)
    spaced = layout.format(number[:6] + " " + number[6:14] + " " + number[14:])
    assert normalize_id_number(spaced, today=date(2026, 11, 28)) == number
    masked = mask_id_number(number)
    assert masked[:3] == number[:3] and masked[-4:] == number[-4:]
    assert masked[3:-4] == "*" * 11 and number[3:14] not in masked


@QUICK
@given(st.one_of(junk, st.text(alphabet="0123456789+ -１", max_size=18)))
def test_phones_are_eleven_digits_or_400(value):
    phone = _value_or_validation_error(normalize_phone, value)
    if phone is not None:
        assert len(phone) == 11 and phone.isdigit() and phone[0] == "1"


@QUICK
@given(st.one_of(junk, st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY -", max_size=20)))
def test_credit_codes_are_valid_or_400(value):
    code = _value_or_validation_error(normalize_credit_code, value)
    if code is not None:
        assert uscc.is_valid(code)


# --- passwords -----------------------------------------------------------------------


@QUICK
@given(st.text(max_size=140), st.text(alphabet="abcxyz_0123", min_size=1, max_size=12))
def test_password_policy_accepts_only_what_it_promises(password, username):
    try:
        check_policy(password, username)
    except ValidationError as exc:
        assert list(exc.fields) == ["password"]
        return
    assert MIN_LENGTH <= len(password) <= MAX_LENGTH
    assert username.lower() not in password.lower()
    assert password.lower() not in COMMON_PASSWORDS and len(set(password)) >= 3


# --- certificate periods and session times ---------------------------------------------


@QUICK
@given(st.one_of(junk, months), st.one_of(junk, months))
def test_certificate_periods_are_bounded_or_400(first, last):
    today = date(2026, 11, 28)
    try:
        span = certificate_months(first, last, today)
    except ValidationError as exc:
        assert set(exc.fields) <= {"from_month", "to_month"}
        return
    assert 1 <= len(span) <= 24 and span[0] == first and span[-1] == last <= "2026-11"


NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
moments = st.datetimes(
    datetime(2020, 1, 1), datetime(2030, 1, 1), timezones=st.sampled_from([UTC, None])
)


@QUICK
@given(moments, st.one_of(st.none(), moments))
def test_session_times_pass_only_when_sane(check_in, check_out):
    try:
        validate_session_times(check_in, check_out, NOW)
    except ValidationError as exc:
        assert set(exc.fields) <= {"check_in_at", "check_out_at"}
        return
    assert check_in.tzinfo is not None and check_in <= NOW
    if check_out is not None:
        assert check_out.tzinfo is not None and check_in < check_out <= NOW


# --- month status: more confirmed hours never make it worse -----------------------------

BETTER = ["missed", "at_risk", "on_track", "awaiting_confirmation", "met"]


@QUICK
@given(
    gross=st.integers(1, 6000),
    exempt=st.integers(0, 2000),
    confirmed=st.integers(0, 6000),
    pending=st.integers(0, 3000),
    extra=st.integers(1, 3000),
    days=st.integers(0, 31),
    over=st.booleans(),
    closed=st.booleans(),
)
def test_more_confirmed_minutes_never_lower_the_status(
    gross, exempt, confirmed, pending, extra, days, over, closed
):
    def status(conf):
        return month_status(
            gross_minutes=gross,
            exempt_minutes=exempt,
            confirmed=conf,
            pending=pending,
            days_left=days,
            daily_cap_hours=8,
            month_over=over,
            closed=closed,
        )

    before, after = status(confirmed), status(confirmed + extra)
    assume(before in BETTER)  # not_required / exempt do not depend on hours
    assert BETTER.index(after) >= BETTER.index(before)
    assert needed_minutes(gross, confirmed + extra, pending) <= needed_minutes(
        gross, confirmed, pending
    )


@pytest.mark.parametrize("step", [1, 15, 30, 60])
@given(value=st.integers(0, 10**7))
def test_round_up_is_the_next_multiple(step, value):
    rounded = round_up_minutes(value, step)
    assert rounded % step == 0 and value <= rounded < value + step
