"""Check-in rules: minutes, month split, auto-close, location, times, scan order."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from volunteer.checkin.rules import (
    EARTH_RADIUS_M,
    auto_close_at,
    distance_m,
    intervals_overlap,
    is_stale,
    location_verdict,
    scan_refusal,
    split_minutes_by_month,
    validate_location,
    validate_session_times,
    whole_minutes,
)
from volunteer.errors import ValidationError

SH = ZoneInfo("Asia/Shanghai")
PLUS8 = timezone(timedelta(hours=8))


def local(*args, tz=SH):
    return datetime(*args, tzinfo=tz)


# --- whole minutes --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(0, 0), (59, 0), (60, 1), (119, 1), (120, 2), (3 * 3600 + 59, 180), (-60, 0)],
)
def test_whole_minutes(seconds, expected):
    start = local(2026, 11, 28, 9, 0)
    assert whole_minutes(start, start + timedelta(seconds=seconds)) == expected


def test_whole_minutes_with_microseconds():
    start = local(2026, 11, 28, 9, 0, 0, 500_000)
    assert whole_minutes(start, local(2026, 11, 28, 9, 1, 0, 499_999)) == 0
    assert whole_minutes(start, local(2026, 11, 28, 9, 1, 0, 500_000)) == 1


def test_whole_minutes_mixed_offsets():
    start = local(2026, 11, 28, 9, 0)
    end = datetime(2026, 11, 28, 3, 30, tzinfo=UTC)  # 11:30 in Shanghai
    assert whole_minutes(start, end) == 150


# --- month split (R15) ----------------------------------------------------------------


def test_split_example_from_spec():
    start, end = local(2026, 11, 30, 23, 50), local(2026, 12, 1, 0, 10)
    assert split_minutes_by_month(start, end, SH) == {"2026-11": 10, "2026-12": 10}


def test_split_inside_one_month():
    start, end = local(2026, 11, 28, 9, 0), local(2026, 11, 28, 17, 30)
    assert split_minutes_by_month(start, end, SH) == {"2026-11": 510}


def test_split_ending_exactly_at_midnight_stays_in_earlier_month():
    start, end = local(2026, 11, 30, 20, 0), local(2026, 12, 1, 0, 0)
    assert split_minutes_by_month(start, end, SH) == {"2026-11": 240}


def test_split_starting_exactly_at_midnight_is_in_later_month():
    start, end = local(2026, 12, 1, 0, 0), local(2026, 12, 1, 2, 0)
    assert split_minutes_by_month(start, end, SH) == {"2026-12": 120}


def test_split_earlier_part_is_whole_minutes_before_boundary():
    # 9 min 30 s before midnight, 9 min 50 s after; 19 whole minutes in all.
    start, end = local(2026, 11, 30, 23, 50, 30), local(2026, 12, 1, 0, 9, 50)
    assert whole_minutes(start, end) == 19
    assert split_minutes_by_month(start, end, SH) == {"2026-11": 9, "2026-12": 10}


def test_split_under_a_minute_before_boundary():
    start, end = local(2026, 11, 30, 23, 59, 30), local(2026, 12, 1, 0, 10, 45)
    assert split_minutes_by_month(start, end, SH) == {"2026-11": 0, "2026-12": 11}


def test_split_across_year_end():
    start, end = local(2026, 12, 31, 22, 0), local(2027, 1, 1, 1, 30)
    assert split_minutes_by_month(start, end, SH) == {"2026-12": 120, "2027-01": 90}


def test_split_across_two_boundaries():
    start, end = local(2026, 11, 30, 23, 0), local(2027, 1, 1, 1, 0)
    parts = split_minutes_by_month(start, end, SH)
    assert parts == {"2026-11": 60, "2026-12": 31 * 24 * 60, "2027-01": 60}
    assert list(parts) == ["2026-11", "2026-12", "2027-01"]
    assert sum(parts.values()) == whole_minutes(start, end)


def test_split_across_february_with_seconds():
    start, end = local(2028, 1, 31, 23, 59, 45), local(2028, 3, 1, 0, 0, 30)
    parts = split_minutes_by_month(start, end, SH)
    assert parts == {"2028-01": 0, "2028-02": 29 * 24 * 60, "2028-03": 0}
    assert sum(parts.values()) == whole_minutes(start, end) == 29 * 24 * 60


def test_split_uses_the_business_zone_not_the_input_offset():
    # The same instants given in UTC: 15:50Z is 23:50 in Shanghai.
    start = datetime(2026, 11, 30, 15, 50, tzinfo=UTC)
    end = datetime(2026, 11, 30, 16, 10, tzinfo=UTC)
    assert split_minutes_by_month(start, end, SH) == {"2026-11": 10, "2026-12": 10}
    assert split_minutes_by_month(start, end, UTC) == {"2026-11": 20}


def test_split_with_fixed_offset_zone():
    start, end = (
        local(2026, 11, 30, 23, 50, tz=PLUS8),
        local(2026, 12, 1, 0, 10, tz=PLUS8),
    )
    assert split_minutes_by_month(start, end, PLUS8) == {"2026-11": 10, "2026-12": 10}


def test_split_of_empty_or_reversed_session():
    start = local(2026, 11, 28, 9, 0)
    assert split_minutes_by_month(start, start, SH) == {"2026-11": 0}
    assert split_minutes_by_month(start, start - timedelta(hours=1), SH) == {"2026-11": 0}


def test_split_refuses_naive():
    with pytest.raises(ValueError):
        split_minutes_by_month(datetime(2026, 11, 30, 23), datetime(2026, 12, 1, 1), SH)


@settings(max_examples=300, deadline=None)
@given(
    start=st.datetimes(
        min_value=datetime(2025, 1, 1),
        max_value=datetime(2028, 12, 31),
        timezones=st.just(UTC),
    ),
    length=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=75)),
    tz=st.sampled_from([SH, PLUS8, UTC, ZoneInfo("America/New_York")]),
)
def test_split_parts_sum_to_whole_minutes(start, length, tz):
    end = start + length
    parts = split_minutes_by_month(start, end, tz)
    assert sum(parts.values()) == whole_minutes(start, end)
    assert all(v >= 0 for v in parts.values())
    assert list(parts) == sorted(parts)
    first = start.astimezone(tz)
    assert next(iter(parts)) == f"{first.year:04d}-{first.month:02d}"
    # The first part is the whole minutes up to the first boundary, if any.
    if len(parts) > 1:
        nxt = first.replace(day=28) + timedelta(days=4)
        boundary = datetime(nxt.year, nxt.month, 1, tzinfo=tz)
        assert parts[next(iter(parts))] == whole_minutes(start, boundary)


# --- auto-close (R13) -----------------------------------------------------------------


def test_auto_close_at_and_stale():
    check_in = local(2026, 11, 28, 9, 0)
    cap = auto_close_at(check_in, 12)
    assert cap == local(2026, 11, 28, 21, 0)
    assert not is_stale(check_in, cap - timedelta(microseconds=1), 12)
    assert is_stale(check_in, cap, 12)
    assert is_stale(check_in, cap + timedelta(days=3), 12)
    assert not is_stale(check_in, cap, 13)


# --- location (R9) --------------------------------------------------------------------


def test_distance_one_degree_of_latitude():
    assert distance_m(0, 0, 1, 0) == pytest.approx(2 * math.pi * EARTH_RADIUS_M / 360, rel=1e-9)
    assert distance_m(0, 0, 1, 0) == pytest.approx(111_195, abs=1)


def test_distance_basic_properties():
    xian = (34.2610, 108.9423)
    assert distance_m(*xian, *xian) == 0
    a = distance_m(34.2610, 108.9423, 34.2650, 108.9500)
    b = distance_m(34.2650, 108.9500, 34.2610, 108.9423)
    assert a == pytest.approx(b)
    assert 800 < a < 900
    assert distance_m(0, 0, 0, 180) == pytest.approx(math.pi * EARTH_RADIUS_M)


SITE = (34.2610, 108.9423)
NEAR = (34.2613, 108.9423)  # ~33 m north
FAR = (34.2700, 108.9423)  # ~1 km north


def test_location_inside_radius():
    flag, dist = location_verdict(*SITE, 100, *NEAR)
    assert flag is None
    assert dist == pytest.approx(33.4, abs=0.5)


def test_location_outside_radius():
    flag, dist = location_verdict(*SITE, 100, *FAR)
    assert flag == "location_outside"
    assert dist == pytest.approx(1000.8, abs=2)


def test_location_on_the_radius_is_inside():
    dist = distance_m(*SITE, *NEAR)
    assert location_verdict(*SITE, dist, *NEAR)[0] is None
    assert location_verdict(*SITE, dist - 0.01, *NEAR)[0] == "location_outside"


def test_location_missing_is_unverified():
    assert location_verdict(*SITE, 100, None, None) == ("location_unverified", None)
    assert location_verdict(*SITE, 100, 34.26, None) == ("location_unverified", None)


def test_site_without_coordinates_judges_nothing():
    assert location_verdict(None, None, None, *NEAR) == (None, None)
    assert location_verdict(None, None, 100, None, None) == (None, None)


def test_site_without_radius_records_distance_only():
    flag, dist = location_verdict(*SITE, None, *FAR)
    assert flag is None
    assert dist == pytest.approx(1000.8, abs=2)
    assert location_verdict(*SITE, None, None, None) == (None, None)


def test_validate_location():
    assert validate_location(None, None) is None
    assert validate_location(None, None, 20) is None
    assert validate_location(34.26, 108.94, 15.5) == (34.26, 108.94)
    assert validate_location(0, 0) == (0.0, 0.0)


@pytest.mark.parametrize(
    ("lat", "lon", "acc", "bad"),
    [
        (91, 0, None, {"latitude"}),
        (0, -181, None, {"longitude"}),
        ("34.2", 108.9, None, {"latitude"}),
        (True, 108.9, None, {"latitude"}),
        (34.2, None, None, {"longitude"}),
        (float("nan"), float("inf"), None, {"latitude", "longitude"}),
        (34.2, 108.9, -1, {"accuracy_m"}),
        (34.2, 108.9, "10", {"accuracy_m"}),
    ],
)
def test_validate_location_refuses(lat, lon, acc, bad):
    with pytest.raises(ValidationError) as err:
        validate_location(lat, lon, acc)
    assert set(err.value.fields) == bad


# --- session times (R17) --------------------------------------------------------------

NOW = local(2026, 11, 28, 18, 0)


def test_valid_times_pass():
    validate_session_times(local(2026, 11, 28, 9, 0), local(2026, 11, 28, 12, 0), NOW)
    validate_session_times(local(2026, 11, 28, 9, 0), None, NOW)
    validate_session_times(local(2026, 11, 28, 9, 0), NOW, NOW)  # now is not the future


def _fields(check_in, check_out):
    with pytest.raises(ValidationError) as err:
        validate_session_times(check_in, check_out, NOW)
    assert err.value.status == 400
    assert err.value.code == "validation_error"
    return err.value.fields


def test_future_check_in():
    assert set(_fields(NOW + timedelta(seconds=1), None)) == {"check_in_at"}


def test_future_check_out():
    assert set(_fields(local(2026, 11, 28, 9, 0), NOW + timedelta(minutes=5))) == {"check_out_at"}


def test_both_in_future():
    fields = _fields(NOW + timedelta(hours=1), NOW + timedelta(hours=2))
    assert set(fields) == {"check_in_at", "check_out_at"}


def test_check_out_before_check_in():
    assert set(_fields(local(2026, 11, 28, 12, 0), local(2026, 11, 28, 9, 0))) == {"check_out_at"}


def test_check_out_equal_to_check_in():
    t = local(2026, 11, 28, 12, 0)
    assert set(_fields(t, t)) == {"check_out_at"}


def test_naive_times_are_refused_not_crashed():
    fields = _fields(datetime(2026, 11, 28, 9, 0), local(2026, 11, 28, 12, 0))
    assert set(fields) == {"check_in_at"}


# --- overlap (R12, R17) ---------------------------------------------------------------

T = [local(2026, 11, 28, h, 0) for h in range(24)]


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ((T[9], T[12]), (T[12], T[15]), False),  # back to back
        ((T[12], T[15]), (T[9], T[12]), False),
        ((T[9], T[12]), (T[11], T[15]), True),
        ((T[9], T[15]), (T[10], T[11]), True),  # contained
        ((T[10], T[11]), (T[9], T[15]), True),
        ((T[9], T[10]), (T[11], T[12]), False),
        ((T[9], T[12]), (T[9], T[12]), True),  # identical
        ((T[9], None), (T[12], T[15]), True),  # open session covers later ones
        ((T[9], None), (T[7], T[9]), False),
        ((T[9], None), (T[7], T[10]), True),
        ((T[9], None), (T[10], None), True),
        ((T[10], T[10]), (T[9], T[12]), False),  # empty interval
        ((T[9], T[12]), (T[12], None), False),
    ],
)
def test_intervals_overlap(a, b, expected):
    assert intervals_overlap(*a, *b) is expected


# --- scan order (R11) -----------------------------------------------------------------


def refusal(**kw):
    base = {
        "action": "check_in",
        "open_site_id": None,
        "site_id": 7,
        "token_already_used": False,
        "has_active_agreement": True,
        "day_allowed": True,
    }
    base.update(kw)
    return scan_refusal(**base)


def test_clean_check_in_and_out():
    assert refusal() is None
    assert refusal(action="check_out", open_site_id=7) is None


def test_already_checked_in_anywhere_comes_first():
    assert refusal(open_site_id=7) == "already_checked_in"
    assert (
        refusal(
            open_site_id=9,
            token_already_used=True,
            has_active_agreement=False,
            day_allowed=False,
        )
        == "already_checked_in"
    )


def test_check_out_without_open_session():
    assert refusal(action="check_out", token_already_used=True) == "not_checked_in"


def test_check_out_at_another_site():
    assert refusal(action="check_out", open_site_id=8, token_already_used=True) == "wrong_site"


def test_token_reused_before_agreement_checks():
    assert (
        refusal(token_already_used=True, has_active_agreement=False, day_allowed=False)
        == "token_reused"
    )
    assert refusal(action="check_out", open_site_id=7, token_already_used=True) == "token_reused"


def test_no_active_agreement_before_day_not_allowed():
    assert refusal(has_active_agreement=False, day_allowed=False) == "no_active_agreement"
    assert refusal(day_allowed=False) == "day_not_allowed"


def test_check_out_ignores_agreement_and_day():
    assert (
        refusal(
            action="check_out",
            open_site_id=7,
            has_active_agreement=False,
            day_allowed=False,
        )
        is None
    )


@pytest.mark.parametrize("action", ["checkin", "", "CHECK_IN", None])
def test_unknown_action_is_a_validation_error(action):
    with pytest.raises(ValidationError) as err:
        refusal(action=action)
    assert set(err.value.fields) == {"action"}
