"""Plain words for what pages would otherwise show as codes or numbers: union names for
codes, days and waits as people say them."""

from __future__ import annotations

from datetime import date

from flask import g
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..unions.models import Union

WEEKDAYS = (
    _l("星期一"),
    _l("星期二"),
    _l("星期三"),
    _l("星期四"),
    _l("星期五"),
    _l("星期六"),
    _l("星期日"),
)


def union_name(code: str | None) -> str:
    """The name of a union by its code; all names are read once per request."""
    if not code:
        return ""
    names = g.get("_union_names")
    if names is None:
        names = dict(db.session.execute(select(Union.code, Union.name)).all())
        g._union_names = names
    return names.get(code, code)


def day_words(day: date) -> str:
    """A day as people say it: 12月3日 星期四."""
    return str(_l("%(m)s月%(d)s日", m=day.month, d=day.day)) + " " + str(WEEKDAYS[day.weekday()])


def wait_words(seconds: int) -> str:
    """A wait as people say it: 不足 1 分钟, 14 分钟, 1 小时 5 分钟."""
    minutes = -(-int(seconds) // 60)  # round up: never tell someone to come back too early
    if seconds < 60:
        return str(_l("不足 1 分钟"))
    if minutes < 60:
        return str(_l("%(m)s 分钟", m=minutes))
    return str(_l("%(h)s 小时 %(m)s 分钟", h=minutes // 60, m=minutes % 60))
