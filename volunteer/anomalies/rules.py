"""Pure rules of the anomaly queue (R42): thresholds, travel speed, evidence in words."""

from __future__ import annotations

from datetime import datetime

from volunteer.errors import N_, ValidationError

SHARED_DEVICE_DAYS = 30
TRAVEL_KMH = 30.0
OUTSIDE_SCANS = 3  # scans outside a site's radius in one month
MANUAL_SHARE = 0.30  # of an enterprise's minutes in a month
# Consecutive sessions further apart than this are not compared: no distance between
# two sites in the province takes longer at 30 km/h (and it bounds the nightly work).
TRAVEL_WINDOW_HOURS = 48
RESOLUTIONS = ("dismissed", "confirmed")
NOTE_MAX = 1000


def travel_speed_kmh(distance_m: float, minutes: float) -> float:
    """Return the speed needed to cover a distance in a time (inf for no time)."""
    if minutes <= 0:
        return float("inf") if distance_m > 0 else 0.0
    return (distance_m / 1000.0) / (minutes / 60.0)


def is_impossible_travel(distance_m: float, minutes: float) -> bool:
    """Tell whether going that far that soon is faster than TRAVEL_KMH allows."""
    return distance_m > 0 and travel_speed_kmh(distance_m, minutes) > TRAVEL_KMH


def is_manual_heavy(manual_minutes: int, total_minutes: int) -> bool:
    """Tell whether manual minutes exceed MANUAL_SHARE of a month's minutes."""
    return total_minutes > 0 and manual_minutes > MANUAL_SHARE * total_minutes


def clean_resolution(status: object, note: object) -> tuple[str, str]:
    """Check a resolution: dismissed or confirmed, with a note of 1–1000 characters."""
    if status not in RESOLUTIONS:
        raise ValidationError.field("status", N_("应为 dismissed（排除）或 confirmed（确认）。"))
    if not isinstance(note, str) or not note.strip():
        raise ValidationError.field("note", N_("请填写处理说明。"))
    if len(note.strip()) > NOTE_MAX:
        raise ValidationError.field("note", N_("处理说明不超过 1000 字。"))
    return str(status), note.strip()


def minutes_between(start: datetime, end: datetime) -> int:
    """Return the whole minutes from start to end (negative when end is earlier)."""
    return int((end - start).total_seconds() // 60)
