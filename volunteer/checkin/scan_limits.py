"""The per-student scan limit, shared by the scan page and the scan API."""

from __future__ import annotations

from flask import current_app, request

from ..auth.scope import current_actor
from ..extensions import limiter
from . import services


def scan_limit_key() -> str:
    """Rate-limit scans per student (per address for anyone else)."""
    actor = current_actor()
    if actor is not None and actor.student_id is not None:
        return f"scan-student:{actor.student_id}"
    return f"scan-ip:{request.remote_addr or 'unknown'}"


def _scan_limit() -> str:
    return current_app.config["SCAN_LIMIT"]


def _on_scan_breach(_limit: object) -> None:
    services.record_rate_limited(
        current_actor(), request.remote_addr, request.headers.get("User-Agent")
    )


def scan_limits(view):
    """Decorate a scanning route with the per-student limit (shared by page and API)."""
    return limiter.shared_limit(
        _scan_limit,
        scope="scan",
        key_func=scan_limit_key,
        methods=["POST"],
        on_breach=_on_scan_breach,
    )(view)
