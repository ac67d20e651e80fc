"""Authentication of each request, the initial-password gate, and security headers."""

from __future__ import annotations

import base64
import hashlib

from flask import Flask, g, redirect, request, url_for
from flask_login import current_user

from ..auth.models import User
from ..auth.tokens import user_for_token
from ..checkin.blueprint import critical_css
from ..extensions import db, login_manager

# Pages an account with an initial password may still use.
INITIAL_PASSWORD_ENDPOINTS = {
    "auth.change_password",
    "auth.logout",
    "auth.login",
    "web.set_language",
    "web.privacy",
    "static",
    "checkin.scan",
    "reports.verify_page",
    "reports.verify_form",
    "web.healthz",
}


def _inline_style_hash() -> str:
    # The scan page inlines its first-paint styles (a slow network paints the button from
    # the HTML alone, R41); the CSP allows exactly that text by its hash.
    text = critical_css()
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    return f" 'sha256-{digest}'"


CSP = (
    "default-src 'self'; script-src 'self'; "
    f"style-src 'self'{_inline_style_hash()}; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


@login_manager.user_loader
def load_user(session_id: str):
    """Load the session's user, provided the password has not changed since login."""
    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.password_version != int(version) or not user.is_enabled:
        return None
    return user


def authenticate_api() -> None:
    """Resolve the bearer token of an API request into g.api_user."""
    # `g` is fresh per request in production; in tests an outer app context may be
    # shared by several clients, so never reuse a user resolved for an earlier request.
    g.pop("_login_user", None)
    g.pop("api_user", None)
    g.pop("api_auth_error", None)
    if not request.path.startswith("/api/"):
        return
    header = request.headers.get("Authorization", "")
    g.api_user = None
    if not header:
        return
    scheme, _, token = header.partition(" ")
    user = user_for_token(token.strip()) if scheme.lower() == "bearer" else None
    if user is None:
        g.api_auth_error = "unauthorized"
    g.api_user = user


def initial_password_gate():
    """Send a person with an initial password to the change page before anything else."""
    if request.path.startswith("/api/") or not current_user.is_authenticated:
        return None
    if current_user.must_change_password and request.endpoint not in INITIAL_PASSWORD_ENDPOINTS:
        return redirect(url_for("auth.change_password", next=request.full_path))
    return None


def security_headers(response):
    """Add the security headers to every response."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "geolocation=(self), camera=(), microphone=()")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if request.path.startswith("/api/") or getattr(current_user, "is_authenticated", False):
        headers.setdefault("Cache-Control", "no-store")
    return response


def init_app(app: Flask) -> None:
    """Register the request hooks."""
    app.before_request(authenticate_api)
    app.before_request(initial_password_gate)
    app.after_request(security_headers)
