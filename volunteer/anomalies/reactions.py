"""The anomaly queue's receivers: shared_device is found at the scan (R42); device ids
go with the purge of locations (R28)."""

from __future__ import annotations

from .. import events
from .devices import forget_devices, note_scan


def connect_receivers() -> None:
    """Listen to recorded scans and to the purge of locations."""
    events.scan_recorded.connect(note_scan)
    events.locations_purged.connect(forget_devices)
