"""Locale selection: Simplified Chinese by default, English on request, remembered."""

from __future__ import annotations

from typing import Any

from flask import current_app, has_request_context, request, session

LOCALES = {"zh": "zh_Hans_CN", "en": "en"}


def select_locale() -> str:
    """Pick the locale: the person's choice (session or cookie), else Chinese."""
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    choice = session.get("lang") or request.cookies.get("lang")
    if choice not in LOCALES:
        choice = None
    if choice is None and request.path.startswith("/api/"):
        choice = request.accept_languages.best_match(list(LOCALES))
    return LOCALES.get(choice or "zh", current_app.config["BABEL_DEFAULT_LOCALE"])


def current_language() -> str:
    """Return 'zh' or 'en' for templates."""
    from flask_babel import get_locale

    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "zh"


def localize(text: Any) -> Any:
    """Return a service message (Chinese, maybe a `Text`) in the current language.

    Constant messages are found once they are extracted; a `Text` is translated from its
    msgid and filled with its values (values that are `Text` are translated too).
    Anything not in the catalog stays as it is.
    """
    from flask_babel import gettext

    from .errors import Text

    if not isinstance(text, str) or not text or current_language() != "en":
        return text
    if isinstance(text, Text):
        values = {k: localize(v) if isinstance(v, Text) else v for k, v in text.values.items()}
        return gettext(text.msgid, **values) if values else gettext(text.msgid)
    return gettext(text)


def localize_fields(fields: dict[str, list[Any]] | None) -> dict[str, list[Any]] | None:
    """Return validation reasons per field in the current language."""
    if fields is None:
        return None
    return {name: [localize(reason) for reason in reasons] for name, reasons in fields.items()}


MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def month_name(month: str, *, short: bool = False) -> str:
    """Return "YYYY-MM" for people: "2026年11月" / "November 2026"; short: "11月" / "Nov"."""
    year, sep, mon = (month or "").partition("-")
    if not (sep and year.isdigit() and mon.isdigit() and 1 <= int(mon) <= 12):
        return month
    if current_language() == "en":
        name = MONTHS_EN[int(mon) - 1]
        return name[:3] if short else f"{name} {year}"
    return f"{int(mon)}月" if short else f"{year}年{int(mon)}月"
