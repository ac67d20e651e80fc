"""Pure check-in rules: minutes, month split, auto-close, location, scan order."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, tzinfo

from volunteer.errors import N_, ValidationError

ACTIONS = ("check_in", "check_out")
POSTER_REUSE_SECONDS = 60  # R11: a poster code counts as reused within 60 s
EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG)

_MINUTE = timedelta(minutes=1)
_NEEDS_TZ = N_("时间必须包含时区。")
_IN_FUTURE = N_("时间不能晚于当前时间。")
_OUT_BEFORE_IN = N_("签退时间必须晚于签到时间。")
_BAD_ACTION = N_("操作应为 check_in（签到）或 check_out（签退）。")


def _utc(value: datetime) -> datetime:
    # Datetimes sharing one ZoneInfo subtract as wall clocks, ignoring offset changes.
    return value.astimezone(UTC) if value.tzinfo is not None else value


def whole_minutes(start: datetime, end: datetime) -> int:
    """Return the whole minutes from start to end (0 when end is not after start)."""
    start, end = _utc(start), _utc(end)
    if end <= start:
        return 0
    return (end - start) // _MINUTE


def _next_month_start(local: datetime, tz: tzinfo) -> datetime:
    year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    return datetime(year, month, 1, tzinfo=tz)


def split_minutes_by_month(start: datetime, end: datetime, tz: tzinfo) -> dict[str, int]:
    """Split a session's minutes over the local months it touches (R15).

    Each part before a month boundary is the whole minutes from the start to that
    boundary less the earlier parts; the last part takes the rest, so the parts
    always add up to whole_minutes(start, end). Every month the half-open
    interval touches is present, possibly with 0.
    """
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("split_minutes_by_month() needs aware datetimes")
    local = start.astimezone(tz)
    month = f"{local.year:04d}-{local.month:02d}"
    parts: dict[str, int] = {}
    counted = 0
    boundary = _next_month_start(local, tz)
    while boundary < end:
        before = whole_minutes(start, boundary)
        parts[month] = before - counted
        counted = before
        month = f"{boundary.year:04d}-{boundary.month:02d}"
        boundary = _next_month_start(boundary, tz)
    parts[month] = whole_minutes(start, end) - counted
    return parts


def auto_close_at(check_in_at: datetime, max_hours: float) -> datetime:
    """Return when an open session is closed automatically (R13)."""
    return check_in_at + timedelta(hours=max_hours)


def is_stale(check_in_at: datetime, now: datetime, max_hours: float) -> bool:
    """Tell whether an open session has reached its auto-close cap (R13)."""
    return now >= auto_close_at(check_in_at, max_hours)


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Return the great-circle distance in metres (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def location_verdict(
    site_lat: float | None,
    site_lon: float | None,
    radius_m: float | None,
    lat: float | None,
    lon: float | None,
) -> tuple[str | None, float | None]:
    """Return (flag, distance) for a scan's location against its site (R9)."""
    if site_lat is None or site_lon is None:
        return None, None
    has_location = lat is not None and lon is not None
    if radius_m is None:
        # Without a radius there is nothing to judge; the distance is still informative.
        dist = distance_m(site_lat, site_lon, lat, lon) if has_location else None  # type: ignore[arg-type]
        return None, dist
    if not has_location:
        return "location_unverified", None
    dist = distance_m(site_lat, site_lon, lat, lon)  # type: ignore[arg-type]
    return (None if dist <= radius_m else "location_outside"), dist


def validate_location(
    lat: object, lon: object, accuracy_m: object = None
) -> tuple[float, float] | None:
    """Validate an optional scan location; return (lat, lon), or None when absent."""
    fields: dict[str, list[str]] = {}
    if accuracy_m is not None and (not _is_number(accuracy_m) or accuracy_m < 0):  # type: ignore[operator]
        fields["accuracy_m"] = [N_("精度应为不小于 0 的数字。")]
    present = not (lat is None and lon is None)
    checks = (("latitude", lat, -90, 90), ("longitude", lon, -180, 180))
    for name, value, low, high in checks if present else ():
        if not _is_number(value) or not low <= value <= high:  # type: ignore[operator]
            fields[name] = [N_("应为 %(low)s 到 %(high)s 之间的数字。", low=low, high=high)]
    if fields:
        raise ValidationError(fields=fields)
    return (float(lat), float(lon)) if present else None  # type: ignore[arg-type]


def _is_number(value: object) -> bool:
    # bool is an int in Python, but true/false is not a coordinate.
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def validate_session_times(
    check_in_at: datetime, check_out_at: datetime | None, now: datetime
) -> None:
    """Raise ValidationError for a future time or a check-out not after check-in."""
    fields: dict[str, list[str]] = {}
    for name, value in (("check_in_at", check_in_at), ("check_out_at", check_out_at)):
        if value is None:
            continue
        if value.tzinfo is None:
            fields[name] = [_NEEDS_TZ]
        elif value > now:
            fields[name] = [_IN_FUTURE]
    if check_out_at is not None and not fields and check_out_at <= check_in_at:
        fields["check_out_at"] = [_OUT_BEFORE_IN]
    if fields:
        raise ValidationError(fields=fields)


def validate_session_length(
    check_in_at: datetime, check_out_at: datetime, max_hours: float
) -> None:
    """Raise ValidationError for a session longer than `max_hours` (R32)."""
    if whole_minutes(check_in_at, check_out_at) > max_hours * 60:
        hours = f"{max_hours:g}"
        raise ValidationError.field("check_out_at", N_("单次服务不能超过 %(n)s 小时。", n=hours))


def minutes_by_local_day(start: datetime, end: datetime, tz: tzinfo) -> dict[str, int]:
    """Return the whole minutes of [start, end) on each local day it touches (YYYY-MM-DD)."""
    out: dict[str, int] = {}
    local = start.astimezone(tz)
    cursor = start
    day = local.date()
    while cursor < end:
        following = datetime(day.year, day.month, day.day, tzinfo=tz) + timedelta(days=1)
        part_end = min(end, following)
        out[day.isoformat()] = out.get(day.isoformat(), 0) + whole_minutes(cursor, part_end)
        cursor, day = part_end, (following).date()
    return out


def long_days(
    new: dict[str, int], others: list[dict[str, int]], cap_hours: float
) -> dict[str, int]:
    """Return the days whose total minutes (the new session's plus the others') exceed
    `cap_hours`, with their totals (R32: the pages ask for a confirmation)."""
    totals: dict[str, int] = {}
    for day, minutes in new.items():
        totals[day] = minutes + sum(other.get(day, 0) for other in others)
    return {day: total for day, total in totals.items() if total > cap_hours * 60}


def intervals_overlap(
    a_start: datetime,
    a_end: datetime | None,
    b_start: datetime,
    b_end: datetime | None,
) -> bool:
    """Tell whether two half-open intervals overlap; a None end is open-ended."""
    if (a_end is not None and a_end <= a_start) or (b_end is not None and b_end <= b_start):
        return False  # an empty interval overlaps nothing
    return (b_end is None or a_start < b_end) and (a_end is None or b_start < a_end)


def scan_refusal(
    *,
    action: str,
    open_site_id: int | None,
    site_id: int,
    token_already_used: bool,
    has_active_agreement: bool,
    day_allowed: bool,
    insurance_refused: bool = False,
) -> str | None:
    """Return the first R11 refusal after the token and site checks, or None."""
    if action not in ACTIONS:
        raise ValidationError.field("action", _BAD_ACTION)
    if action == "check_in" and open_site_id is not None:
        return "already_checked_in"
    if action == "check_out":
        if open_site_id is None:
            return "not_checked_in"
        if open_site_id != site_id:
            return "wrong_site"
    if token_already_used:
        return "token_reused"
    if action == "check_in":
        if not has_active_agreement:
            return "no_active_agreement"
        if not day_allowed:
            return "day_not_allowed"
        if insurance_refused:
            return "not_insured"
    return None


# R41: a scan kept by a phone without network is sent later with its own time.
OFFLINE_AHEAD = timedelta(minutes=2)  # a phone's clock may run a little fast
OFFLINE_FLAG_AFTER = timedelta(seconds=60)


def scanned_at_refusal(scanned_at: datetime, now: datetime, max_age_hours: float) -> str | None:
    """Return token_expired when a sent-later scan is from the future or too old (R41)."""
    if scanned_at > now + OFFLINE_AHEAD:
        return "token_expired"
    if scanned_at < now - timedelta(hours=max_age_hours):
        return "token_expired"
    return None


def is_offline_scan(scanned_at: datetime | None, now: datetime, offline: bool | None) -> bool:
    """Tell whether a scan carries the flag `offline`: said so, or over a minute late."""
    if offline:
        return True
    return scanned_at is not None and scanned_at < now - OFFLINE_FLAG_AFTER
