"""Login throttling per username and per client address, failures only (SPEC §3)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, g, request

from ..extensions import client_address, limiter


def _username_key() -> str:
    name = None
    if request.is_json or request.path.startswith("/api/"):
        body = request.get_json(silent=True, cache=True)
        if isinstance(body, dict) and isinstance(body.get("username"), str):
            name = body["username"]
    else:
        name = request.form.get("username")
    return "login-user:" + (name or "").strip().lower()[:64]


def _address_key() -> str:
    return "login-ip:" + client_address()


def _limit() -> str:
    return f"{current_app.config['LOGIN_LIMIT']} per 15 minutes"


def _failed(response: Any) -> bool:
    return bool(g.get("login_failed"))


def login_limits() -> Callable:
    """Decorate a login route: failed attempts count per username and per address."""

    def decorator(view: Callable) -> Callable:
        view = limiter.limit(
            _limit, key_func=_username_key, deduct_when=_failed, scope="login-user"
        )(view)
        view = limiter.limit(_limit, key_func=_address_key, deduct_when=_failed, scope="login-ip")(
            view
        )
        return view

    return decorator
