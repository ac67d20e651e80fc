"""Site QR tokens (R8): site id, kind and 30-second step, sealed by an HMAC.

Layout before base64url (no padding), all integers big-endian:

    rotating: b"R" + site_id (4 bytes) + step (4 bytes) + mac (10 bytes) -> 26 chars
    poster:   b"P" + site_id (4 bytes)                  + mac (10 bytes) -> 20 chars
    kiosk:    b"K" + site_id (4) + kiosk_id (4) + step (4) + mac (10)   -> 31 chars

The mac is HMAC-SHA256(secret, context + everything before the mac), truncated to
80 bits. The kind byte is inside the sealed bytes, so a poster token can never
verify as a rotating one or the other way round.

A kiosk token is sealed with the kiosk's own key, HMAC-SHA256(site secret, kiosk
context + kiosk_id), which the activated kiosk holds so that it can derive its codes
with Web Crypto while its network is down (R41). The key never leaves the kiosk and
the server; the kiosk id in the clear lets the server find the kiosk (revoked or not)
in the same statement that reads the site, and rotating the site secret kills every
kiosk key of the site with it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

STEP_SECONDS = 30
MAC_BYTES = 10  # 80 bits: R8 asks for at least 64
ROTATING = "rotating"
POSTER = "poster"
KIOSK = "kiosk"

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_STEP = timedelta(seconds=STEP_SECONDS)
_CONTEXT = b"volunteer.checkin.v1\x00"
_KIOSK_CONTEXT = b"volunteer.kiosk.v1\x00"
_MARKERS = {ROTATING: b"R", POSTER: b"P", KIOSK: b"K"}
_KINDS = {v[0]: k for k, v in _MARKERS.items()}
_U32_MAX = 2**32 - 1
_ROTATING_LEN = 1 + 4 + 4 + MAC_BYTES
_POSTER_LEN = 1 + 4 + MAC_BYTES
_KIOSK_LEN = 1 + 4 + 4 + 4 + MAC_BYTES
_LENGTHS = {ROTATING: _ROTATING_LEN, POSTER: _POSTER_LEN, KIOSK: _KIOSK_LEN}
# Longest valid token is 31 characters; anything much longer is refused unread.
_MAX_TEXT = 64
_TEXT_RE = re.compile(r"[A-Za-z0-9_-]+", re.ASCII)


class TokenError(Exception):
    """A token that cannot be accepted; `code` is token_invalid or token_expired."""

    def __init__(self, code: str = "token_invalid") -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class ParsedToken:
    """The readable parts of a token; the mac is not yet checked."""

    site_id: int
    kind: str
    step: int | None
    mac: bytes
    kiosk_id: int | None = None

    @property
    def rotates(self) -> bool:
        """Tell whether the token carries a time step (rotating and kiosk codes)."""
        return self.step is not None


def step_at(now: datetime) -> int:
    """Return the 30-second time step of an aware datetime (unix seconds // 30)."""
    if now.tzinfo is None:
        raise ValueError("step_at() needs an aware datetime")
    return (now - _EPOCH) // _STEP


def step_starts_at(step: int) -> datetime:
    """Return when a step begins (aware UTC)."""
    return _EPOCH + step * _STEP


def step_expires_at(step: int) -> datetime:
    """Return when the API stops accepting a step: the end of the next step."""
    return step_starts_at(step + 2)


def _body(kind: str, site_id: int, step: int | None, kiosk_id: int | None = None) -> bytes:
    if not 1 <= site_id <= _U32_MAX:
        raise ValueError(f"site id out of range: {site_id}")
    body = _MARKERS[kind] + struct.pack(">I", site_id)
    if kind == KIOSK:
        if kiosk_id is None or not 1 <= kiosk_id <= _U32_MAX:
            raise ValueError(f"kiosk id out of range: {kiosk_id}")
        body += struct.pack(">I", kiosk_id)
    if kind in (ROTATING, KIOSK):
        if step is None or not 0 <= step <= _U32_MAX:
            raise ValueError(f"step out of range: {step}")
        body += struct.pack(">I", step)
    return body


def _mac(secret: str | bytes, body: bytes) -> bytes:
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    digest = hmac.new(key, _CONTEXT + body, hashlib.sha256).digest()
    return digest[:MAC_BYTES]


def kiosk_key(secret: str, kiosk_id: int) -> bytes:
    """Return a kiosk's own key: HMAC-SHA256(site secret, kiosk context + kiosk id)."""
    message = _KIOSK_CONTEXT + struct.pack(">I", kiosk_id)
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).digest()


def encode_key(key: bytes) -> str:
    """Return a key as unpadded base64url text (what the kiosk page is handed)."""
    return base64.urlsafe_b64encode(key).rstrip(b"=").decode("ascii")


def _seal(kind: str, site_id: int, secret: str, step: int | None) -> str:
    body = _body(kind, site_id, step)
    raw = body + _mac(secret, body)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def make_rotating_token(site_id: int, secret: str, step: int) -> str:
    """Return the kiosk token of a site for one time step."""
    return _seal(ROTATING, site_id, secret, step)


def make_kiosk_token(site_id: int, kiosk_id: int, key: bytes, step: int) -> str:
    """Return a kiosk's token for one time step, sealed with the kiosk's key."""
    body = _body(KIOSK, site_id, step, kiosk_id)
    raw = body + _mac(key, body)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def make_poster_token(site_id: int, secret: str) -> str:
    """Return the printed, non-rotating token of a site."""
    return _seal(POSTER, site_id, secret, None)


def _decode(token: object) -> bytes:
    if not isinstance(token, str) or len(token) > _MAX_TEXT:
        raise TokenError("token_invalid")
    if not _TEXT_RE.fullmatch(token):
        raise TokenError("token_invalid")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raise TokenError("token_invalid") from None
    # Only the canonical spelling is a token: no two strings name the same bytes.
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") != token:
        raise TokenError("token_invalid")
    return raw


def parse_token(token: str) -> ParsedToken:
    """Read a token's site, kind and step; raise TokenError if it is unreadable."""
    raw = _decode(token)
    kind = _KINDS.get(raw[0]) if raw else None
    if kind is None or len(raw) != _LENGTHS[kind]:
        raise TokenError("token_invalid")
    (site_id,) = struct.unpack(">I", raw[1:5])
    if site_id == 0:
        raise TokenError("token_invalid")
    kiosk_id, step = None, None
    if kind == KIOSK:
        kiosk_id, step = struct.unpack(">II", raw[5:13])
        if kiosk_id == 0:
            raise TokenError("token_invalid")
    elif kind == ROTATING:
        step = struct.unpack(">I", raw[5:9])[0]
    return ParsedToken(
        site_id=site_id, kind=kind, step=step, mac=raw[-MAC_BYTES:], kiosk_id=kiosk_id
    )


def verify_token(parsed: ParsedToken, secret: str) -> bool:
    """Tell whether a parsed token was sealed with `secret` (constant-time compare)."""
    if not secret:
        return False
    try:
        body = _body(parsed.kind, parsed.site_id, parsed.step, parsed.kiosk_id)
    except (KeyError, ValueError):
        return False
    key = kiosk_key(secret, parsed.kiosk_id) if parsed.kind == KIOSK else secret
    return hmac.compare_digest(_mac(key, body), parsed.mac)


def check_window(step: int, now_step: int) -> str | None:
    """Return None for this step or the previous one, else the refusal code."""
    if step > now_step:
        return "token_invalid"
    if step < now_step - 1:
        return "token_expired"
    return None


def check_token(parsed: ParsedToken, secret: str, now: datetime) -> None:
    """Raise TokenError unless sealed by `secret` and, for a rotating token, fresh."""
    if not verify_token(parsed, secret):
        raise TokenError("token_invalid")
    if parsed.rotates:
        code = check_window(parsed.step, step_at(now))
        if code is not None:
            raise TokenError(code)
