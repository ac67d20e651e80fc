"""Login throttling (R31): three counters of failed logins that never lock a place out.

Failures count per username + address (`LOGIN_LIMIT`), per username across addresses
(`LOGIN_USER_LIMIT`: guessing spread over many addresses) and per address across
usernames (`LOGIN_ADDRESS_LIMIT`: far higher, since a whole site shares one Wi-Fi).
Only attempts count, never page views. The counters live in Flask-Limiter's storage
(Redis in production); when it cannot be reached they fall back to this process's
memory with a logged warning, so logging in keeps working.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time

from flask import current_app
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter, RateLimiter

from ..errors import N_, RateLimited
from ..extensions import limiter

log = logging.getLogger(__name__)
WINDOW = "15 minutes"
# After the store fails, count in memory this long before trying it again.
RETRY_STORE_SECONDS = 30.0

_memory = FixedWindowRateLimiter(MemoryStorage())
_store_down_until = 0.0


def _counters(username: str, address: str) -> list[tuple[RateLimitItem, str]]:
    cfg = current_app.config
    # A digest keeps any text a client sends (odd characters, any length) out of the keys.
    user = hashlib.sha256(username.strip().lower().encode("utf-8", "surrogatepass")).hexdigest()[
        :32
    ]
    prefix = cfg.get("RATELIMIT_KEY_PREFIX") or ""
    return [
        (parse(f"{cfg['LOGIN_LIMIT']} per {WINDOW}"), f"{prefix}login-ua:{user}:{address}"),
        (parse(f"{cfg['LOGIN_USER_LIMIT']} per {WINDOW}"), f"{prefix}login-u:{user}"),
        (parse(f"{cfg['LOGIN_ADDRESS_LIMIT']} per {WINDOW}"), f"{prefix}login-a:{address}"),
    ]


def _strategy() -> RateLimiter:
    if time.monotonic() < _store_down_until:
        return _memory
    return limiter.limiter


def _with_fallback(action):  # type: ignore[no-untyped-def]
    """Run `action(strategy)` on the shared store, or on this process's memory if it fails."""
    global _store_down_until
    strategy = _strategy()
    try:
        return action(strategy)
    except Exception as exc:
        if strategy is _memory:
            raise
        log.warning(
            "login throttle store unreachable (%s): counting in this process's memory",
            type(exc).__name__,
        )
        _store_down_until = time.monotonic() + RETRY_STORE_SECONDS
        return action(_memory)


def _enabled() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED", True)) and limiter.enabled


def check_login_allowed(username: str, address: str) -> None:
    """Raise 429 rate_limited (with the wait) when any counter has run out."""
    if not _enabled():
        return

    def wait_seconds(strategy: RateLimiter) -> int:
        wait = 0.0
        for item, key in _counters(username, address):
            if not strategy.test(item, key):
                reset_at, _ = strategy.get_window_stats(item, key)
                wait = max(wait, reset_at - time.time())
        return math.ceil(wait) if wait > 0 else 0

    wait = _with_fallback(wait_seconds)
    if wait > 0:
        minutes = max(1, math.ceil(wait / 60))
        raise RateLimited(
            N_("登录失败次数过多，请在 %(minutes)s 分钟后再试。", minutes=minutes),
            retry_after=wait,
        )


def note_failed_login(username: str, address: str) -> None:
    """Count one failed attempt on each of the three counters."""
    if not _enabled():
        return

    def hit(strategy: RateLimiter) -> None:
        for item, key in _counters(username, address):
            strategy.hit(item, key)

    _with_fallback(hit)


def note_successful_login(username: str, address: str) -> None:
    """Forget the failures of this username at this address: the owner who mistyped a few
    times is not carried towards a wait. The counters across addresses and usernames stay,
    so a guesser spread over many addresses gains nothing from one real login."""
    if not _enabled():
        return
    item, key = _counters(username, address)[0]
    _with_fallback(lambda strategy: strategy.clear(item, key))


def reset_memory() -> None:
    """Forget the in-memory counters and retry the shared store at once (tests)."""
    global _store_down_until
    _memory.storage.reset()
    _store_down_until = 0.0
