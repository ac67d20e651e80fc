"""The staff lists' filters, read from the query string (bad values fall back to defaults)."""

from __future__ import annotations

from flask import request
from flask_babel import lazy_gettext as _l

from .. import clock
from ..errors import DomainError
from ..jsonapi import paginated
from . import listings, services, sessions
from .models import FLAGS


def month_arg() -> str:
    """Return ?month= when valid, else the current month."""
    month = request.args.get("month") or ""
    try:
        sessions.local_month_range(month)
    except DomainError:
        return clock.current_month()
    return month


STATUS_CHOICES = [
    ("todo", _l("需处理")),
    ("", _l("全部")),
    ("pending", _l("待确认")),
    ("confirmed", _l("已确认")),
    ("rejected", _l("已驳回")),
    ("auto_closed", _l("自动签退")),
    ("open", _l("服务中")),
]
PER_PAGE = 20  # a phone shows a page of sessions without endless scrolling
STATUS_FILTERS = {"todo": "pending,auto_closed"}


def month_filter(default: str | None) -> str | None:
    """Read ?month=: absent gives `default`, empty gives every month, bad gives `default`."""
    raw = request.args.get("month")
    if raw is None:
        return default
    return month_arg() if raw else None


def session_filters(default_status: str = "todo", default_month: str | None = None) -> dict:
    """Read the list filters from the query string (bad values fall back to defaults)."""
    status = request.args.get("status", default_status)
    if status not in dict(STATUS_CHOICES):
        status = default_status
    flag = request.args.get("flag", "")
    if flag not in FLAGS and flag != "any":
        flag = ""
    site_id = request.args.get("site_id", "")
    return {
        "month": month_filter(default_month),
        "status": status,
        "flag": flag,
        "site_id": int(site_id) if site_id.isdigit() and int(site_id) < 2**31 else None,
    }


def filtered_sessions(actor, filters: dict):
    """Return a page of (session, student, site, enterprise) rows for the filters."""
    stmt = services.list_sessions(
        actor,
        month=filters["month"] or None,
        status=STATUS_FILTERS.get(filters["status"], filters["status"]) or None,
        flag=filters["flag"] or None,
        site_id=filters.get("site_id"),
        enterprise_id=filters.get("enterprise_id"),
    )
    return paginated(listings.with_names(stmt), tuple, scalars=False, per_page_default=PER_PAGE)
