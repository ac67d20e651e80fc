"""What every template sees: navigation, the actor, the language, words and filters."""

from __future__ import annotations

from flask import Flask
from flask_babel import refresh as refresh_locale

from .. import clock
from ..auth.scope import current_actor
from ..i18n import current_language, localize, month_name
from ..ui.filters import hours, isodate, localtime
from ..ui.plain import day_words, union_name, wait_words
from ..ui.words import flag_word, status_word
from .navigation import nav_items


def init_app(app: Flask) -> None:
    """Register the template globals and filters every page uses."""
    app.jinja_env.globals.update(
        nav_items=nav_items,
        current_actor=current_actor,
        current_language=current_language,
        status_word=status_word,
        flag_word=flag_word,
        union_name=union_name,
        current_month=clock.current_month,
    )
    app.jinja_env.filters.update(
        localtime=localtime,
        hours=hours,
        isodate=isodate,
        localize=localize,
        month_name=month_name,
        day_words=day_words,
        union_name=union_name,
        wait_words=wait_words,
    )
    # Flask-Babel caches the locale on `g`, and a request reuses an app context that is
    # already pushed (tests, scripts): choose the language afresh for every request.
    app.before_request(refresh_locale)
