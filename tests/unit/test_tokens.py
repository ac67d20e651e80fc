"""Site QR tokens (R8)."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from volunteer.checkin.tokens import (
    MAC_BYTES,
    POSTER,
    ROTATING,
    STEP_SECONDS,
    ParsedToken,
    TokenError,
    check_token,
    check_window,
    make_poster_token,
    make_rotating_token,
    parse_token,
    step_at,
    step_expires_at,
    step_starts_at,
    verify_token,
)
from volunteer.enterprises.rules import make_site_secret

SECRET = "site-secret-7f3a"
OTHER_SECRET = "site-secret-rotated"
NOW = datetime(2026, 11, 28, 1, 0, 15, tzinfo=UTC)  # 09:00:15 in Shanghai
NOW_STEP = step_at(NOW)


def accept(token, secret=SECRET, now=NOW):
    """Run the full check the API does; return the error code or None."""
    try:
        check_token(parse_token(token), secret, now)
    except TokenError as err:
        return err.code
    return None


# --- steps ----------------------------------------------------------------------------


def test_step_at_is_unix_seconds_div_30():
    assert STEP_SECONDS == 30
    assert step_at(datetime(1970, 1, 1, tzinfo=UTC)) == 0
    assert step_at(datetime(1970, 1, 1, 0, 0, 29, 999999, tzinfo=UTC)) == 0
    assert step_at(datetime(1970, 1, 1, 0, 0, 30, tzinfo=UTC)) == 1
    assert step_at(NOW) == int(NOW.timestamp()) // 30


def test_step_at_same_instant_any_offset():
    shanghai = NOW.astimezone(timezone(timedelta(hours=8)))
    assert step_at(shanghai) == NOW_STEP


def test_step_at_refuses_naive():
    with pytest.raises(ValueError):
        step_at(datetime(2026, 11, 28, 9, 0))


def test_step_expires_at_end_of_next_step():
    start = step_starts_at(NOW_STEP)
    assert start <= NOW < start + timedelta(seconds=30)
    assert step_expires_at(NOW_STEP) == start + timedelta(seconds=60)
    assert step_expires_at(NOW_STEP).tzinfo is not None
    # Still accepted an instant before expiry, refused at it.
    token = make_rotating_token(5, SECRET, NOW_STEP)
    expires = step_expires_at(NOW_STEP)
    assert accept(token, now=expires - timedelta(microseconds=1)) is None
    assert accept(token, now=expires) == "token_expired"


# --- window ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        (NOW_STEP, None),
        (NOW_STEP - 1, None),
        (NOW_STEP - 2, "token_expired"),
        (NOW_STEP - 1000, "token_expired"),
        (NOW_STEP + 1, "token_invalid"),
        (NOW_STEP + 50, "token_invalid"),
    ],
)
def test_check_window(step, expected):
    assert check_window(step, NOW_STEP) == expected


@pytest.mark.parametrize(
    ("offset", "expected"),
    [(0, None), (-1, None), (-2, "token_expired"), (1, "token_invalid")],
)
def test_full_check_by_step(offset, expected):
    token = make_rotating_token(5, SECRET, NOW_STEP + offset)
    assert accept(token) == expected


# --- shape ----------------------------------------------------------------------------


def test_rotating_token_round_trip():
    token = make_rotating_token(123456, SECRET, NOW_STEP)
    parsed = parse_token(token)
    assert parsed.site_id == 123456
    assert parsed.kind == ROTATING
    assert parsed.step == NOW_STEP
    assert len(parsed.mac) == MAC_BYTES >= 8
    assert verify_token(parsed, SECRET)


def test_poster_token_round_trip():
    token = make_poster_token(42, SECRET)
    parsed = parse_token(token)
    assert (parsed.site_id, parsed.kind, parsed.step) == (42, POSTER, None)
    assert verify_token(parsed, SECRET)
    # Posters do not expire.
    assert accept(token, now=NOW + timedelta(days=400)) is None


def test_tokens_are_compact_and_url_safe():
    rotating = make_rotating_token(2**32 - 1, SECRET, NOW_STEP)
    poster = make_poster_token(1, SECRET)
    for token in (rotating, poster):
        assert re.fullmatch(r"[A-Za-z0-9_-]+", token)
    assert len(rotating) <= 32
    assert len(poster) <= 24


def test_tokens_change_every_step_and_are_deterministic():
    a = make_rotating_token(5, SECRET, NOW_STEP)
    assert a == make_rotating_token(5, SECRET, NOW_STEP)
    assert a != make_rotating_token(5, SECRET, NOW_STEP + 1)
    assert a != make_rotating_token(6, SECRET, NOW_STEP)


@pytest.mark.parametrize("site_id", [0, -1, 2**32])
def test_make_refuses_out_of_range_site(site_id):
    with pytest.raises(ValueError):
        make_rotating_token(site_id, SECRET, NOW_STEP)
    with pytest.raises(ValueError):
        make_poster_token(site_id, SECRET)


def test_make_site_secret_is_random_and_long():
    a, b = make_site_secret(), make_site_secret()
    assert a != b
    assert len(a) >= 40


# --- forgery --------------------------------------------------------------------------


def test_other_sites_secret_is_refused():
    token = make_rotating_token(5, OTHER_SECRET, NOW_STEP)
    assert not verify_token(parse_token(token), SECRET)
    assert accept(token) == "token_invalid"


def test_rotated_secret_invalidates_rotating_and_poster():
    rotating = make_rotating_token(5, SECRET, NOW_STEP)
    poster = make_poster_token(5, SECRET)
    assert accept(rotating, secret=OTHER_SECRET) == "token_invalid"
    assert accept(poster, secret=OTHER_SECRET) == "token_invalid"


def test_empty_secret_never_verifies():
    token = make_rotating_token(5, "", NOW_STEP)
    assert not verify_token(parse_token(token), "")


def _raw(token):
    return bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))


def _text(raw):
    return base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()


def test_site_id_swapped_is_refused():
    raw = _raw(make_rotating_token(5, SECRET, NOW_STEP))
    raw[4] = 6  # site 5 → site 6, mac kept
    forged = parse_token(_text(raw))
    assert forged.site_id == 6
    assert not verify_token(forged, SECRET)


def test_step_moved_forward_is_refused():
    old = parse_token(make_rotating_token(5, SECRET, NOW_STEP - 10))
    forged = ParsedToken(site_id=5, kind=ROTATING, step=NOW_STEP, mac=old.mac)
    assert not verify_token(forged, SECRET)


@pytest.mark.parametrize("index", range(19))
def test_every_altered_byte_is_refused(index):
    raw = _raw(make_rotating_token(5, SECRET, NOW_STEP))
    raw[index] ^= 0x01
    assert accept(_text(raw)) == "token_invalid"


def test_every_altered_character_is_refused():
    token = make_rotating_token(5, SECRET, NOW_STEP)
    for i, ch in enumerate(token):
        for other in "AQgw_-":
            if other != ch:
                altered = token[:i] + other + token[i + 1 :]
                assert accept(altered) is not None, altered


def test_poster_cannot_pass_as_rotating():
    poster = parse_token(make_poster_token(5, SECRET))
    as_rotating = ParsedToken(site_id=5, kind=ROTATING, step=NOW_STEP, mac=poster.mac)
    assert not verify_token(as_rotating, SECRET)
    # Flipping the kind byte of a real token does not keep it valid either.
    raw = _raw(make_poster_token(5, SECRET))
    raw[0] = ord("R")
    with pytest.raises(TokenError):
        parse_token(_text(raw))  # wrong length for a rotating token


def test_rotating_cannot_pass_as_poster():
    rotating = parse_token(make_rotating_token(5, SECRET, NOW_STEP))
    as_poster = ParsedToken(site_id=5, kind=POSTER, step=None, mac=rotating.mac)
    assert not verify_token(as_poster, SECRET)
    raw = _raw(make_rotating_token(5, SECRET, NOW_STEP))
    raw[0] = ord("P")
    with pytest.raises(TokenError):
        parse_token(_text(raw))


def test_truncated_mac_is_refused():
    token = make_rotating_token(5, SECRET, NOW_STEP)
    with pytest.raises(TokenError) as err:
        parse_token(token[:-2])
    assert err.value.code == "token_invalid"


def test_verify_with_unknown_kind_is_false():
    parsed = ParsedToken(site_id=5, kind="other", step=None, mac=b"0" * MAC_BYTES)
    assert verify_token(parsed, SECRET) is False


# --- garbage --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "A",
        "AAAA",
        "=" * 30,
        "UgAAAAwDkWQe9VUr0HFjqtRdlA==",  # padding is not part of a token
        "UgAAAAwDkWQe9VUr0HFjqtRdl",  # 25 characters cannot be base64
        "UgAAAAwDkWQe9VUr0HFjqtRdlA.x",
        "签到" * 10,
        "\x00" * 26,
        "A" * 10_000,
        " " + "A" * 25,
        "AAAAAAAAAAAAAAAAAAAAAAAAAA",  # kind byte 0
        "UgAAAAAAAAAAAAAAAAAAAAAAAA",  # rotating, site id 0
        "../../etc/passwd",
    ],
)
def test_garbage_is_token_invalid(garbage):
    with pytest.raises(TokenError) as err:
        parse_token(garbage)
    assert err.value.code == "token_invalid"


@pytest.mark.parametrize("value", [None, 123, b"UgAAAA", ["x"]])
def test_non_string_is_token_invalid(value):
    with pytest.raises(TokenError):
        parse_token(value)


def test_token_error_code():
    assert TokenError("token_expired").code == "token_expired"
    assert TokenError().code == "token_invalid"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_arbitrary_text_only_raises_token_error(text):
    try:
        parsed = parse_token(text)
    except TokenError as err:
        assert err.code == "token_invalid"
        return
    # Whatever parses must still fail verification without the secret.
    assert verify_token(parsed, SECRET) is False


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"))
def test_arbitrary_base64url_only_raises_token_error(text):
    try:
        parsed = parse_token(text)
    except TokenError as err:
        assert err.code == "token_invalid"
        return
    assert parsed.kind in (ROTATING, POSTER)
    assert verify_token(parsed, SECRET) is False


@settings(max_examples=100, deadline=None)
@given(
    site_id=st.integers(1, 2**32 - 1),
    step=st.integers(0, 2**32 - 1),
    secret=st.text(min_size=1, max_size=40),
)
def test_round_trip_property(site_id, step, secret):
    parsed = parse_token(make_rotating_token(site_id, secret, step))
    assert (parsed.site_id, parsed.step, parsed.kind) == (site_id, step, ROTATING)
    assert verify_token(parsed, secret)
    poster = parse_token(make_poster_token(site_id, secret))
    assert (poster.site_id, poster.step, poster.kind) == (site_id, None, POSTER)
    assert verify_token(poster, secret)
