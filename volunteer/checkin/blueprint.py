"""The check-in pages' blueprint: the scan page, the student's pages and the staff pages."""

from __future__ import annotations

from flask import Blueprint

from .. import clock

bp = Blueprint("checkin", __name__)


@bp.context_processor
def _clock_in_templates() -> dict:
    # Timers start from the server's now, so a phone with a wrong clock still counts right.
    return {"now": clock.now}
