"""The anomaly queue's receivers: shared_device is found at the scan (R42)."""

from __future__ import annotations

from .. import events
from .devices import note_scan


def connect_receivers() -> None:
    """Listen to recorded scans."""
    events.scan_recorded.connect(note_scan)
