"""Check-in use cases, one module per concern; this module names them all in one place.

- sitecodes: rotating and poster codes, secret rotation, QR images (R8)
- scanning: a scan, checked in the R11 order, recorded (R10–R12, R14)
- sessions: reads with auto-close first (R13), month rows (R15), location purge (R28)
- decisions: confirm, reject, adjust, manual entry (R16, R17, R21)
- corrections: student requests and their acceptance (R16)
- kiosks: tablets bound to a site by a one-time link
- scanlog: the attempts log for staff
"""

from __future__ import annotations

from .corrections import (
    accept_correction,
    correction_query,
    decline_correction,
    request_correction,
)
from .decisions import (
    adjust_session,
    confirm_session,
    confirm_sessions,
    enter_session,
    reject_session,
)
from .kiosks import (
    activate_kiosk,
    create_kiosk,
    kiosk_display,
    kiosk_for_device,
    list_kiosks,
    pending_activation,
    present_count,
    revoke_kiosk,
)
from .scanlog import scan_log
from .scanning import ScanResult, inspect_token, record_rate_limited, record_scan
from .sessions import (
    close_stale_sessions,
    get_session,
    list_sessions,
    open_session_of,
    purge_locations,
    session_query,
    sync_months,
)
from .sitecodes import current_code, poster_code, printed_code, qr_svg, rotate_secret

__all__ = [
    "ScanResult",
    "accept_correction",
    "activate_kiosk",
    "adjust_session",
    "close_stale_sessions",
    "confirm_session",
    "confirm_sessions",
    "correction_query",
    "create_kiosk",
    "current_code",
    "decline_correction",
    "enter_session",
    "get_session",
    "inspect_token",
    "kiosk_display",
    "kiosk_for_device",
    "list_kiosks",
    "list_sessions",
    "open_session_of",
    "pending_activation",
    "poster_code",
    "present_count",
    "printed_code",
    "purge_locations",
    "qr_svg",
    "record_rate_limited",
    "record_scan",
    "reject_session",
    "request_correction",
    "revoke_kiosk",
    "rotate_secret",
    "scan_log",
    "session_query",
    "sync_months",
]
