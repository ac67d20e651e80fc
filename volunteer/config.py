"""Configuration: defaults, then the environment, then a test mapping."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

ENV_KEYS = {
    "DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
    "SECRET_KEY": "SECRET_KEY",
    "ID_ENCRYPTION_KEY": "ID_ENCRYPTION_KEY",
    "ID_ENCRYPTION_OLD_KEYS": "ID_ENCRYPTION_OLD_KEYS",
    "BASE_URL": "BASE_URL",
    "TIMEZONE": "TIMEZONE",
    "RATELIMIT_STORAGE_URI": "RATELIMIT_STORAGE_URI",
    "RATELIMIT_KEY_PREFIX": "RATELIMIT_KEY_PREFIX",
    "LOGIN_LIMIT": "LOGIN_LIMIT",
    "API_TOKEN_HOURS": "API_TOKEN_HOURS",
    "SCAN_GRACE_SECONDS": "SCAN_GRACE_SECONDS",
    "MAX_SESSION_HOURS": "MAX_SESSION_HOURS",
    "DAILY_CAP_HOURS": "DAILY_CAP_HOURS",
    "COMPLIANCE_READ_MODEL": "COMPLIANCE_READ_MODEL",
    "SESSION_COOKIE_SECURE": "SESSION_COOKIE_SECURE",
    "CERTIFICATE_CONTACT": "CERTIFICATE_CONTACT",
    "PASSWORD_HASH_METHOD": "PASSWORD_HASH_METHOD",
}
INT_KEYS = {
    "LOGIN_LIMIT",
    "API_TOKEN_HOURS",
    "SCAN_GRACE_SECONDS",
    "MAX_SESSION_HOURS",
    "DAILY_CAP_HOURS",
}
BOOL_KEYS = {"SESSION_COOKIE_SECURE", "COMPLIANCE_READ_MODEL"}

# Development-only fallbacks: `make run` works with nothing set; production sets both.
DEV_SECRET_KEY = "dev-secret-change-me"
DEV_ID_KEY = "dev-id-encryption-key-change-me"


def defaults(instance_path: str) -> dict[str, Any]:
    """Return the built-in defaults."""
    db_file = Path(instance_path) / "volunteer.sqlite"
    return {
        "SECRET_KEY": DEV_SECRET_KEY,
        "ID_ENCRYPTION_KEY": DEV_ID_KEY,
        "ID_ENCRYPTION_OLD_KEYS": "",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_file}",
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "BASE_URL": "http://127.0.0.1:5000",
        "TIMEZONE": "Asia/Shanghai",
        "BABEL_DEFAULT_LOCALE": "zh_Hans_CN",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "LANGUAGES": {"zh": "简体中文", "en": "English"},
        "MAX_CONTENT_LENGTH": 5 * 1024 * 1024,
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_HEADERS_ENABLED": False,
        "LOGIN_LIMIT": 10,
        "SCAN_LIMIT": "30/minute",
        "API_TOKEN_HOURS": 720,
        "SCAN_GRACE_SECONDS": 180,
        "MAX_SESSION_HOURS": 12,
        "DAILY_CAP_HOURS": 8,
        # Union-wide compliance reads come from student_month_figures (off: computed live
        # for every student, as before; the table is kept current either way).
        "COMPLIANCE_READ_MODEL": True,
        "PASSWORD_HASH_METHOD": "scrypt",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,
        "CERTIFICATE_CONTACT": "",
        "PER_PAGE_DEFAULT": 50,
        "PER_PAGE_MAX": 500,
    }


def from_environment() -> dict[str, Any]:
    """Read the settings the environment provides."""
    out: dict[str, Any] = {}
    for env, key in ENV_KEYS.items():
        value = os.environ.get(env)
        if value is None or value == "":
            continue
        if key in INT_KEYS:
            out[key] = int(value)
        elif key in BOOL_KEYS:
            out[key] = value.lower() in {"1", "true", "yes", "on"}
        else:
            out[key] = value
    if os.environ.get("RATELIMIT_ENABLED", "").lower() in {"0", "false", "no", "off"}:
        out["RATELIMIT_ENABLED"] = False
    # Served over HTTPS: cookies travel over HTTPS only, unless explicitly told otherwise.
    if "SESSION_COOKIE_SECURE" not in out and str(out.get("BASE_URL", "")).startswith("https://"):
        out["SESSION_COOKIE_SECURE"] = True
    return out


def normalize_database_url(url: str) -> str:
    """Map plain postgres URLs to the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
