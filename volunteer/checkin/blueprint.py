"""The check-in pages' blueprint: the scan page, the student's pages and the staff pages."""

from __future__ import annotations

import functools
from pathlib import Path

from flask import Blueprint

from .. import clock
from ..ui.critical_css import extract

bp = Blueprint("checkin", __name__)

# The scan page's first-paint styles, inlined (a slow network paints the button from the
# HTML alone, R41); web/security.py allows exactly this text in its CSP by its hash.
APP_CSS = Path(__file__).resolve().parents[2] / "static" / "css" / "app.css"
# The rules of app.css the scan page needs before app.css itself arrives.
SCAN_PAGE_SELECTORS = (
    ":root",
    "*",
    "body",
    "a",
    "h1",
    "code",
    "[hidden]",
    "[id]",
    ".topbar",
    ".brand",
    ".topbar-right",
    ".topbar a.lang",
    ".mainnav",
    ".mainnav a",
    '.mainnav a[aria-current="page"]',
    ".container",
    ".card",
    ".card.narrow",
    ".footer",
    ".footer a",
    ".muted",
    ".small",
    ".lead",
    ".notice",
    ".flash",
    ".flash-success",
    ".flash-error",
    ".button, button",
    ".button.primary, button.primary",
    ".button.block, button.block",
    ".timer",
    ".scan-card",
    ".scan-enterprise",
    ".scan-site",
    ".scan-state",
    ".scan-state p",
    ".scan-form",
    ".scan-button",
    ".scan-button.scan-out",
    ".scan-button:disabled",
    ".geo-status",
    ".scan-refusal",
    ".scan-refusal-title",
    ".scan-refusal p",
)


@functools.cache
def critical_css() -> str:
    """Return the scan page's inline first-paint styles, taken from app.css."""
    return extract(APP_CSS.read_text(encoding="utf-8"), SCAN_PAGE_SELECTORS)


@bp.context_processor
def _clock_in_templates() -> dict:
    # Timers start from the server's now, so a phone with a wrong clock still counts right.
    return {"now": clock.now, "scan_critical_css": critical_css}
