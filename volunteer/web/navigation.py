"""Role-aware navigation: the menu of each role and its landing page."""

from __future__ import annotations

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

from ..auth.scope import current_actor
from ..ui.nav_counts import nav_count

# (endpoint, label) per role, in order; an endpoint not (yet) registered is skipped.
NAV = {
    "union_staff": [
        ("compliance.dashboard", _l("合规看板")),
        ("followups.index", _l("帮扶跟进")),
        ("students.index", lazy_pgettext("many", "学生")),
        ("enterprises.index", _l("爱心企业")),
        ("agreements.index", _l("协议")),
        ("checkin.union_sessions", _l("服务记录")),
        ("anomalies.index", _l("异常")),
        ("reports.union_summary", _l("报表")),
        ("calendar.month", _l("日历")),
        ("unions.index", _l("工会")),
        ("web.audit_log", _l("审计日志")),
    ],
    "enterprise_staff": [
        ("checkin.enterprise_sessions", _l("待确认")),
        ("checkin.correction_inbox", _l("更正申请")),
        ("checkin.present_now", _l("在岗")),
        ("enterprises.my_enterprise", _l("本企业")),
        ("compliance.enterprise_students", _l("学生进度")),
        ("anomalies.index", _l("异常")),
        ("reports.enterprise_report_page", _l("月报")),
        ("records.evaluations", _l("评价")),
    ],
    "student": [
        ("checkin.student_home", _l("我的服务")),
        ("checkin.scanner", _l("扫一扫")),
        ("compliance.my_progress", _l("本月进度")),
        ("agreements.my_agreements", _l("我的协议")),
        ("reports.my_certificates", _l("证明")),
        ("records.my_record", _l("档案")),
    ],
}


def nav_items() -> list[tuple[str, str, int]]:
    """Return (url, label, waiting count) for the current actor's navigation."""
    actor = current_actor()
    if actor is None or actor.must_change_password:
        return []
    items = []
    for endpoint, label in NAV.get(actor.role, []):
        if endpoint in current_app.view_functions:
            items.append((url_for(endpoint), str(label), nav_count(endpoint, actor)))
    return items


def home_endpoint(role: str) -> str | None:
    """Return the landing page of a role (its first navigation entry that exists)."""
    for endpoint, _label in NAV.get(role, []):
        if endpoint in current_app.view_functions:
            return endpoint
    return None
