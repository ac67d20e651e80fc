"""The only reader of the clock (R2): everything asks `now()`; tests move time here."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

_frozen: datetime | None = None
_offset = timedelta(0)
_DEFAULT_TZ = "Asia/Shanghai"


def _file_time() -> datetime | None:
    # A real server under browser tests reads its "now" from a file the tests write.
    path = os.environ.get("VOLUNTEER_CLOCK_FILE")
    if not path:
        return None
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read().strip()
    except OSError:
        return None
    if not text:
        return None
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def now() -> datetime:
    """Return the current time, timezone-aware, in UTC."""
    if _frozen is not None:
        return _frozen + _offset
    filed = _file_time()
    if filed is not None:
        return filed.astimezone(UTC) + _offset
    return datetime.now(UTC) + _offset


def freeze(at: datetime | None) -> None:
    """Stop the clock at `at` (aware); `None` lets it run again."""
    global _frozen, _offset
    if at is not None and at.tzinfo is None:
        raise ValueError("freeze() needs an aware datetime")
    _frozen = at.astimezone(UTC) if at is not None else None
    _offset = timedelta(0)


def advance(delta: timedelta) -> None:
    """Move the clock forward by `delta`."""
    global _frozen, _offset
    if _frozen is not None:
        _frozen = _frozen + delta
    else:
        _offset += delta


def business_tz() -> tzinfo:
    """Return the business time zone (config TIMEZONE, default Asia/Shanghai)."""
    try:
        from flask import current_app

        name = current_app.config.get("TIMEZONE", _DEFAULT_TZ)
    except RuntimeError:
        name = _DEFAULT_TZ
    return ZoneInfo(name)


def local_now() -> datetime:
    """Return now in the business time zone."""
    return now().astimezone(business_tz())


def today() -> date:
    """Return the local business date."""
    return local_now().date()


def to_local(value: datetime) -> datetime:
    """Convert an aware datetime to the business time zone."""
    return value.astimezone(business_tz())


def current_month() -> str:
    """Return the local month as YYYY-MM."""
    return today().strftime("%Y-%m")
