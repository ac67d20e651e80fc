"""Enterprise and site rules: profile fields, capacity, coordinates and radius (pure)."""

from __future__ import annotations

import math
import secrets
from typing import Any

from volunteer.errors import N_, ValidationError

MAX_CAPACITY = 10_000
DEFAULT_CAPACITY = 10
MIN_RADIUS_M = 10
MAX_RADIUS_M = 5_000
# A site given coordinates but no radius gets one a phone's GPS can usually meet.
DEFAULT_RADIUS_M = 200
TEXT_LIMITS = {
    "name": 100,
    "city": 50,
    "industry": 50,
    "address": 200,
    "contact_name": 50,
}


def clean_text(field: str, value: Any, *, required: bool = False) -> str | None:
    """Return stripped text within the field's length limit (None when blank and optional)."""
    if value is None:
        text = ""
    elif isinstance(value, str):
        text = value.strip()
    else:
        raise ValidationError.field(field, N_("应为文本"))
    limit = TEXT_LIMITS.get(field, 200)
    if not text:
        if required:
            raise ValidationError.field(field, N_("必填"))
        return None
    if len(text) > limit:
        raise ValidationError.field(field, N_("最多%(n)s个字", n=limit))
    return text


def validate_capacity(value: Any) -> int:
    """Return a capacity (distinct students per day) between 0 and MAX_CAPACITY."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError.field("capacity", N_("容量应为整数"))
    if not 0 <= value <= MAX_CAPACITY:
        raise ValidationError.field("capacity", N_("容量应在0到%(n)s之间", n=MAX_CAPACITY))
    return value


def _number(field: str, value: Any, low: float, high: float, reason: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError.field(field, N_("应为数字"))
    number = float(value)
    if not math.isfinite(number) or not low <= number <= high:
        raise ValidationError.field(field, reason)
    return number


def validate_location(
    latitude: Any, longitude: Any, radius_m: Any
) -> tuple[float | None, float | None, int | None]:
    """Return (latitude, longitude, radius_m) checked together: both coordinates or neither,
    latitude −90..90, longitude −180..180, radius 10..5000 m (default 200 with coordinates)."""
    if latitude is None and longitude is None:
        if radius_m is not None:
            raise ValidationError.field("radius_m", N_("请先填写服务点坐标，再设置签到半径"))
        return None, None, None
    if latitude is None or longitude is None:
        missing = "latitude" if latitude is None else "longitude"
        raise ValidationError.field(missing, N_("纬度和经度须同时填写"))
    lat = _number("latitude", latitude, -90, 90, N_("纬度应在-90到90之间"))
    lon = _number("longitude", longitude, -180, 180, N_("经度应在-180到180之间"))
    if radius_m is None:
        return lat, lon, DEFAULT_RADIUS_M
    if isinstance(radius_m, bool) or not isinstance(radius_m, int):
        raise ValidationError.field("radius_m", N_("签到半径应为整数（米）"))
    if not MIN_RADIUS_M <= radius_m <= MAX_RADIUS_M:
        raise ValidationError.field(
            "radius_m",
            N_("签到半径应在%(low)s到%(high)s米之间", low=MIN_RADIUS_M, high=MAX_RADIUS_M),
        )
    return lat, lon, radius_m


def make_site_secret() -> str:
    """Return a new random site secret."""
    return secrets.token_urlsafe(32)
