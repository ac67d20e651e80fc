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
    "VOLUNTEER_ENV": "VOLUNTEER_ENV",
    "TIMEZONE": "TIMEZONE",
    "RATELIMIT_STORAGE_URI": "RATELIMIT_STORAGE_URI",
    "RATELIMIT_KEY_PREFIX": "RATELIMIT_KEY_PREFIX",
    "LOGIN_LIMIT": "LOGIN_LIMIT",
    "LOGIN_USER_LIMIT": "LOGIN_USER_LIMIT",
    "LOGIN_ADDRESS_LIMIT": "LOGIN_ADDRESS_LIMIT",
    "API_TOKEN_HOURS": "API_TOKEN_HOURS",
    "SCAN_GRACE_SECONDS": "SCAN_GRACE_SECONDS",
    "OFFLINE_SCAN_HOURS": "OFFLINE_SCAN_HOURS",
    "MAX_SESSION_HOURS": "MAX_SESSION_HOURS",
    "DAILY_CAP_HOURS": "DAILY_CAP_HOURS",
    "COMPLIANCE_READ_MODEL": "COMPLIANCE_READ_MODEL",
    "SESSION_COOKIE_SECURE": "SESSION_COOKIE_SECURE",
    "CERTIFICATE_CONTACT": "CERTIFICATE_CONTACT",
    "PASSWORD_HASH_METHOD": "PASSWORD_HASH_METHOD",
    "CONFIRM_REMINDER_DAYS": "CONFIRM_REMINDER_DAYS",
    "NOTIFY_DAILY_CAP": "NOTIFY_DAILY_CAP",
    "MAIL_SERVER": "MAIL_SERVER",
    "MAIL_PORT": "MAIL_PORT",
    "MAIL_USERNAME": "MAIL_USERNAME",
    "MAIL_PASSWORD": "MAIL_PASSWORD",
    "MAIL_USE_TLS": "MAIL_USE_TLS",
    "MAIL_FROM": "MAIL_FROM",
    "SMS_PROVIDER": "SMS_PROVIDER",
    "SMS_HTTP_URL": "SMS_HTTP_URL",
    "SMS_HTTP_TEMPLATE": "SMS_HTTP_TEMPLATE",
    "SMS_HTTP_TOKEN": "SMS_HTTP_TOKEN",
    "SMS_SIGNATURE": "SMS_SIGNATURE",
    "JOB_QUEUE_URL": "JOB_QUEUE_URL",
    "JOB_QUEUE_NAME": "JOB_QUEUE_NAME",
    "JOB_TIMEOUT": "JOB_TIMEOUT",
    "IMPORT_SYNC_SECONDS": "IMPORT_SYNC_SECONDS",
    "IMPORT_SYNC_ROWS": "IMPORT_SYNC_ROWS",
    "IMPORT_SYNC_HASHES": "IMPORT_SYNC_HASHES",
    "EXPORT_SYNC_STUDENTS": "EXPORT_SYNC_STUDENTS",
}
INT_KEYS = {
    "LOGIN_LIMIT",
    "LOGIN_USER_LIMIT",
    "LOGIN_ADDRESS_LIMIT",
    "API_TOKEN_HOURS",
    "SCAN_GRACE_SECONDS",
    "OFFLINE_SCAN_HOURS",
    "MAX_SESSION_HOURS",
    "DAILY_CAP_HOURS",
    "CONFIRM_REMINDER_DAYS",
    "NOTIFY_DAILY_CAP",
    "MAIL_PORT",
    "JOB_TIMEOUT",
    "IMPORT_SYNC_SECONDS",
    "IMPORT_SYNC_ROWS",
    "IMPORT_SYNC_HASHES",
    "EXPORT_SYNC_STUDENTS",
}
BOOL_KEYS = {"SESSION_COOKIE_SECURE", "MAIL_USE_TLS", "COMPLIANCE_READ_MODEL"}

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
        # Logged statements and errors never carry the values bound to them (R33).
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
        # Unset: links in QR codes and certificates use the address a page was served from.
        "BASE_URL": "",
        # "development" (make run) allows the development keys below; anything else refuses.
        "VOLUNTEER_ENV": "production",
        "TIMEZONE": "Asia/Shanghai",
        "BABEL_DEFAULT_LOCALE": "zh_Hans_CN",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "LANGUAGES": {"zh": "简体中文", "en": "English"},
        "MAX_CONTENT_LENGTH": 5 * 1024 * 1024,
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_HEADERS_ENABLED": False,
        # Redis unreachable: each process counts in its own memory (and logs a warning)
        # instead of failing the request (R31).
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        # Failed logins in 15 minutes: per username + address, per username, per address.
        "LOGIN_LIMIT": 10,
        "LOGIN_USER_LIMIT": 50,
        "LOGIN_ADDRESS_LIMIT": 100,
        "SCAN_LIMIT": "30/minute",
        "API_TOKEN_HOURS": 720,
        "SCAN_GRACE_SECONDS": 180,
        "OFFLINE_SCAN_HOURS": 24,
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
        # Notifications (R34): reminders, and delivery by email (SMTP) and SMS.
        "CONFIRM_REMINDER_DAYS": 3,
        "NOTIFY_DAILY_CAP": 5,
        "MAIL_SERVER": "",
        "MAIL_PORT": 25,
        "MAIL_USERNAME": "",
        "MAIL_PASSWORD": "",
        "MAIL_USE_TLS": False,
        "MAIL_FROM": "noreply@localhost",
        "SMS_PROVIDER": "log",
        "SMS_HTTP_URL": "",
        "SMS_HTTP_TEMPLATE": '{"phone": "{phone}", "text": "{text}"}',
        "SMS_HTTP_TOKEN": "",
        "SMS_SIGNATURE": "金秋助学",
        # Background jobs (R36): unset runs them inline; redis://… puts them on RQ.
        "JOB_QUEUE_URL": "",
        "JOB_QUEUE_NAME": "volunteer",
        "JOB_TIMEOUT": 3600,
        # A class list is imported within the request when its password hashing fits in
        # IMPORT_SYNC_SECONDS (or IMPORT_SYNC_HASHES distinct passwords, when set) and it has
        # at most IMPORT_SYNC_ROWS rows; a larger one is a job (or, without a queue, a 400).
        "IMPORT_SYNC_SECONDS": 4,
        "IMPORT_SYNC_ROWS": 2000,
        "IMPORT_SYNC_HASHES": 0,
        # Dashboard lists over more students than this are built by a worker (with a queue).
        "EXPORT_SYNC_STUDENTS": 10000,
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


def development_keys_in_use(config: dict[str, Any]) -> list[str]:
    """Return the names of the secrets still at their development values (or empty)."""
    return [
        key
        for key, dev in (("SECRET_KEY", DEV_SECRET_KEY), ("ID_ENCRYPTION_KEY", DEV_ID_KEY))
        if not config.get(key) or config.get(key) == dev
    ]


def check_production_secrets(config: dict[str, Any], debug: bool) -> None:
    """Refuse to start outside development and tests with the development secrets (R33)."""
    if config.get("TESTING") or debug or config.get("VOLUNTEER_ENV") == "development":
        return
    keys = development_keys_in_use(config)
    if keys:
        raise RuntimeError(
            f"Refusing to start: {' and '.join(keys)} still the development value. Set "
            f"{' and '.join(keys)} in the environment (see README, Configuration), or "
            "VOLUNTEER_ENV=development on a development machine."
        )
