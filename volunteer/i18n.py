"""Locale selection: Simplified Chinese by default, English on request, remembered."""

from __future__ import annotations

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
