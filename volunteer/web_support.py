"""What every page needs: role-aware navigation, filters, language."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask, current_app, flash, url_for
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_babel import refresh as refresh_locale

from . import clock
from .auth.scope import current_actor
from .i18n import current_language, localize, month_name

# (endpoint, label) per role, in order; an endpoint not (yet) registered is skipped.
NAV = {
    "union_staff": [
        ("compliance.dashboard", _l("合规看板")),
        ("students.index", lazy_pgettext("many", "学生")),
        ("enterprises.index", _l("爱心企业")),
        ("agreements.index", _l("协议")),
        ("checkin.union_sessions", _l("服务记录")),
        ("reports.union_summary", _l("报表")),
        ("calendar.month", _l("日历")),
        ("unions.index", _l("工会")),
        ("web.audit_log", _l("审计日志")),
    ],
    "enterprise_staff": [
        ("checkin.enterprise_sessions", _l("待确认")),
        ("checkin.present_now", _l("在岗")),
        ("enterprises.my_enterprise", _l("本企业")),
        ("compliance.enterprise_students", _l("学生进度")),
        ("reports.enterprise_report_page", _l("月报")),
        ("records.evaluations", _l("评价")),
    ],
    "student": [
        ("checkin.student_home", _l("我的服务")),
        ("compliance.my_progress", _l("本月进度")),
        ("agreements.my_agreements", _l("我的协议")),
        ("reports.my_certificates", _l("证明")),
        ("records.my_record", _l("档案")),
    ],
}
STATUS_WORDS = {
    "not_required": _l("无需服务"),
    "exempt": _l("已免除"),
    "met": _l("已达标"),
    "awaiting_confirmation": _l("待确认"),
    "on_track": _l("进行中"),
    "at_risk": _l("有风险"),
    "missed": _l("未达标"),
    "open": _l("服务中"),
    "pending": _l("待确认"),
    "confirmed": _l("已确认"),
    "rejected": _l("已驳回"),
    "auto_closed": _l("自动签退"),
    "scheduled": _l("待生效"),
    "active": _l("生效中"),
    "ended": _l("已结束"),
    "terminated": _l("已终止"),
    "accepted": _l("已接受"),
    "declined": _l("已拒绝"),
}
FLAG_WORDS = {
    "poster": _l("海报码"),
    "location_unverified": _l("未验证位置"),
    "location_outside": _l("超出范围"),
    "adjusted": _l("已调整"),
    "auto_closed": _l("自动签退"),
    "manual": _l("手工录入"),
    "uninsured": _l("未投保"),
}


def nav_items() -> list[tuple[str, str]]:
    """Return (url, label) for the current actor's navigation."""
    actor = current_actor()
    if actor is None or actor.must_change_password:
        return []
    items = []
    for endpoint, label in NAV.get(actor.role, []):
        if endpoint in current_app.view_functions:
            items.append((url_for(endpoint), str(label)))
    return items


def home_endpoint(role: str) -> str | None:
    """Return the landing page of a role (its first navigation entry that exists)."""
    for endpoint, _label in NAV.get(role, []):
        if endpoint in current_app.view_functions:
            return endpoint
    return None


def localtime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Format an aware datetime in the business time zone."""
    if value is None:
        return ""
    return clock.to_local(value).strftime(fmt)


def hours(minutes: int | None) -> str:
    """Format minutes as hours with one decimal, e.g. 90 → 1.5."""
    if minutes is None:
        return ""
    return f"{minutes / 60:.1f}"


def status_word(code: str | None) -> str:
    """Return the words for a status code."""
    return str(STATUS_WORDS.get(code or "", code or ""))


def flag_word(code: str) -> str:
    """Return the words for a session flag."""
    return str(FLAG_WORDS.get(code, code))


def isodate(value: date | None) -> str:
    """Format a date as YYYY-MM-DD."""
    return value.isoformat() if value else ""


def init_app(app: Flask) -> None:
    """Register template globals and filters."""
    app.jinja_env.globals.update(
        nav_items=nav_items,
        current_actor=current_actor,
        current_language=current_language,
        status_word=status_word,
        flag_word=flag_word,
    )
    app.jinja_env.filters.update(
        localtime=localtime, hours=hours, isodate=isodate, localize=localize, month_name=month_name
    )
    # Flask-Babel caches the locale on `g`, and a request reuses an app context that is
    # already pushed (tests, scripts): choose the language afresh for every request.
    app.before_request(refresh_locale)


def attach_errors(form, exc) -> None:
    """Show a DomainError next to the form fields it names, else as a flash message."""
    placed = False
    for name, reasons in (getattr(exc, "fields", None) or {}).items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = list(field.errors) + [localize(reason) for reason in reasons]
            placed = True
    if not placed:
        flash(localize(exc.message), "error")
