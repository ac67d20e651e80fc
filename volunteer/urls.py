"""The site's own address for links that leave the browser: QR codes, kiosk links, certificates."""

from __future__ import annotations

from flask import current_app, has_request_context, request

# Outside a request and without BASE_URL (a command, an inline job in development).
FALLBACK_BASE = "http://127.0.0.1:5000"


def base_url() -> str:
    """Return BASE_URL when set, else the address this page was served from (development).

    `PORT=5101 make run` then prints QR codes for :5101, not for a default port. Production
    sets BASE_URL, so a request's Host header never decides what a code points at there.
    """
    configured = (current_app.config.get("BASE_URL") or "").strip()
    if configured:
        return configured.rstrip("/")
    if has_request_context():
        return request.host_url.rstrip("/")
    return FALLBACK_BASE


def external_url(path: str) -> str:
    """Return an absolute address for a path of this site."""
    return base_url() + "/" + path.lstrip("/")
