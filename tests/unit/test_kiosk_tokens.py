"""Kiosk codes (R41): sealed with the kiosk's own key, which derives from the site secret."""

from __future__ import annotations

import pytest

from volunteer.checkin import tokens

SECRET = "site-secret-for-tests"


def test_kiosk_token_round_trip():
    key = tokens.kiosk_key(SECRET, 7)
    token = tokens.make_kiosk_token(3, 7, key, 59_000_000)
    assert len(token) == 31
    parsed = tokens.parse_token(token)
    assert (parsed.kind, parsed.site_id, parsed.kiosk_id, parsed.step) == (
        "kiosk",
        3,
        7,
        59_000_000,
    )
    assert parsed.rotates and tokens.verify_token(parsed, SECRET)


def test_kiosk_keys_differ_by_kiosk_and_secret():
    assert tokens.kiosk_key(SECRET, 1) != tokens.kiosk_key(SECRET, 2)
    assert tokens.kiosk_key(SECRET, 1) != tokens.kiosk_key(SECRET + "x", 1)
    # the key is not the secret: a kiosk cannot mint the site's own rotating codes
    assert tokens.kiosk_key(SECRET, 1) != SECRET.encode()


def test_kiosk_id_is_sealed():
    key = tokens.kiosk_key(SECRET, 7)
    parsed = tokens.parse_token(tokens.make_kiosk_token(3, 7, key, 100))
    other = tokens.ParsedToken(site_id=3, kind="kiosk", step=100, mac=parsed.mac, kiosk_id=8)
    assert not tokens.verify_token(other, SECRET)
    moved = tokens.ParsedToken(site_id=3, kind="kiosk", step=101, mac=parsed.mac, kiosk_id=7)
    assert not tokens.verify_token(moved, SECRET)


def test_site_secret_does_not_verify_a_kiosk_code_sealed_with_it_directly():
    # a code sealed with the raw secret instead of the kiosk key is forged
    token = tokens.make_kiosk_token(3, 7, SECRET.encode(), 100)
    assert not tokens.verify_token(tokens.parse_token(token), SECRET)


@pytest.mark.parametrize("kiosk_id", [0])
def test_kiosk_id_zero_is_unreadable(kiosk_id):
    import base64
    import struct

    raw = b"K" + struct.pack(">III", 3, kiosk_id, 100) + b"\0" * 10
    text = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    with pytest.raises(tokens.TokenError):
        tokens.parse_token(text)
