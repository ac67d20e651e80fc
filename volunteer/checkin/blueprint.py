"""The check-in pages' blueprint: the scan page, the student's pages and the staff pages."""

from __future__ import annotations

import functools
from pathlib import Path

from flask import Blueprint

from .. import clock

bp = Blueprint("checkin", __name__)

# The scan page's first-paint styles, inlined (a slow network paints the button from the
# HTML alone, R41); web/security.py allows exactly this text in its CSP by its hash.
CRITICAL_CSS = Path(__file__).resolve().parents[2] / "static" / "css" / "scan-critical.css"


@functools.cache
def critical_css() -> str:
    """Return the scan page's inline first-paint styles."""
    return CRITICAL_CSS.read_text(encoding="utf-8")


@bp.context_processor
def _clock_in_templates() -> dict:
    # Timers start from the server's now, so a phone with a wrong clock still counts right.
    return {"now": clock.now, "scan_critical_css": critical_css}
