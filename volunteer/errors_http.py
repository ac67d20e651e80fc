"""Turn errors into answers: JSON for /api/, a Chinese page (or flash) for people."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .errors import DomainError
from .i18n import localize, localize_fields
from .logs import log_unexpected

log = logging.getLogger(__name__)

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "bad_request",
    429: "rate_limited",
}


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _json(status: int, code: str, message: str, **extra):
    body = {"error": {"code": code, "message": message}}
    body.update(extra)
    return jsonify(body), status


def _page(status: int, code: str, message: str, retry_after: int | None = None):
    page = render_template(
        "errors/error.html", status=status, code=code, message=message, retry_after=retry_after
    )
    return page, status


def handle_domain_error(exc: DomainError):
    """Answer a refused operation with its stable code."""
    from .extensions import db

    db.session.rollback()
    if _wants_json():
        response = jsonify(localized_body(exc)), exc.status
    elif exc.status == 401:
        return redirect(url_for("auth.login", next=request.full_path))
    else:
        response = _page(exc.status, exc.code, localize(exc.message))
    retry_after = getattr(exc, "retry_after", None)
    if retry_after:
        return response[0], response[1], {"Retry-After": str(retry_after)}
    return response


def localized_body(exc: DomainError) -> dict:
    """Return the API body with its texts in the request's language (codes never change)."""
    body = exc.to_dict()
    error = body["error"]
    error["message"] = localize(exc.message)
    if exc.fields is not None:
        error["fields"] = localize_fields(exc.fields)
    if exc.rows is not None:
        error["rows"] = [
            {**row, "message": localize(row["message"])} if "message" in row else row
            for row in exc.rows
        ]
    return body


def _limit_mb() -> str:
    """Return MAX_CONTENT_LENGTH in megabytes, for the 413 message."""
    from flask import current_app

    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    return f"{limit / (1024 * 1024):.3g}"


def handle_http_error(exc: HTTPException):
    """Answer werkzeug's errors (404, 405, 413, …) in the house format."""
    status = exc.code or 500
    code = HTTP_CODES.get(status, "error")
    messages = {
        404: _("页面或对象不存在。"),
        405: _("不支持此请求方法。"),
        413: _("上传内容过大：最多 %(limit)s MB。", limit=_limit_mb()),
        400: _("请求有误。"),
    }
    message = messages.get(status, exc.description or code)
    if _wants_json():
        return _json(status, code, message)
    return _page(status, code, message)


def handle_rate_limit(exc: RateLimitExceeded):
    """Answer 429 rate_limited, saying when to try again (Retry-After)."""
    import math
    import time

    from .extensions import limiter

    try:
        current = limiter.current_limit
        wait = max(1, math.ceil(current.reset_at - time.time())) if current else 60
    except Exception:  # the store went away meanwhile: a minute is a fair guess
        wait = 60
    if wait < 60:
        message = _("尝试过于频繁，请在 %(n)s 秒后再试。", n=wait)
    else:
        message = _("尝试过于频繁，请在 %(n)s 分钟后再试。", n=math.ceil(wait / 60))
    if _wants_json():
        body, status = _json(429, "rate_limited", message)
    else:
        body, status = _page(429, "rate_limited", message)
    return body, status, {"Retry-After": str(wait)}


def handle_csrf(exc: CSRFError):
    """Answer a missing or stale CSRF token."""
    message = _("页面已过期，请返回刷新后重试。")
    if _wants_json():
        return _json(400, "csrf_failed", message)
    return _page(400, "csrf_failed", message)


# Database refusals that mean "busy, retry" (a lost race) or "value out of range".
RETRYABLE = ("database is locked", "deadlock detected", "could not serialize", "lock not available")


def handle_database_error(exc: Exception):
    """Answer a lost lock race with 409 conflict and an out-of-range value with 400."""
    from sqlalchemy.exc import DataError

    from .extensions import db

    db.session.rollback()
    text = str(getattr(exc, "orig", exc)).lower()
    if isinstance(exc, DataError):
        status, code, message = 400, "bad_request", _("输入的值超出范围或格式不正确。")
    elif any(marker in text for marker in RETRYABLE):
        status, code, message = 409, "conflict", _("系统繁忙，请重试。")
    else:
        return handle_unexpected(exc)
    if _wants_json():
        return _json(status, code, message)
    return _page(status, code, message)


def is_unique_violation(exc: Exception) -> bool:
    """Return whether a database error is a unique constraint refusing a second value."""
    orig = getattr(exc, "orig", exc)
    if getattr(orig, "sqlstate", None) == "23505":  # PostgreSQL unique_violation
        return True
    return "unique constraint failed" in str(orig).lower()  # SQLite


def handle_integrity_error(exc: Exception):
    """Answer a constraint that refused a write (a race the checks before it lost): 409.

    Two requests creating the same username, ID number or credit code both pass the
    "does it exist?" check; the database lets one in and refuses the other at flush or
    commit. That one gets `409 duplicate` like the request that came later (R32).
    """
    from .extensions import db

    db.session.rollback()
    if is_unique_violation(exc):
        code, message = "duplicate", _("该记录已存在。")
    else:  # e.g. a row referred to was deleted meanwhile: safe to retry
        code, message = "conflict", _("数据已被他人修改，请刷新后重试。")
    if _wants_json():
        return _json(409, code, message)
    return _page(409, code, message)


def handle_unexpected(exc: Exception):
    """Log and answer 500 without leaking details."""
    from .extensions import db

    db.session.rollback()
    log_unexpected(log, f"unhandled error in {request.method} {request.path}", exc)
    message = _("服务器出错了，请稍后再试。")
    if _wants_json():
        return _json(500, "internal_error", message)
    return _page(500, "internal_error", message)


def init_app(app: Flask) -> None:
    """Register the handlers."""
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(RateLimitExceeded, handle_rate_limit)
    app.register_error_handler(CSRFError, handle_csrf)
    app.register_error_handler(HTTPException, handle_http_error)
    from sqlalchemy.exc import DataError, IntegrityError, OperationalError

    app.register_error_handler(IntegrityError, handle_integrity_error)
    app.register_error_handler(OperationalError, handle_database_error)
    app.register_error_handler(DataError, handle_database_error)
    if not app.config.get("PROPAGATE_EXCEPTIONS_IN_TESTS"):
        app.register_error_handler(Exception, handle_unexpected)
