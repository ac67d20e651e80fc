"""Oversight pages: the scan log (R14) for enterprise and union staff, and the union's
scoped list of sessions."""

from __future__ import annotations

from datetime import date

from flask import render_template, request
from flask_babel import lazy_gettext as _l

from .. import clock
from ..auth.scope import current_actor, role_required
from ..jsonapi import paginated
from . import scanlog
from .blueprint import bp
from .devices import device_words
from .filters import PER_PAGE, STATUS_CHOICES, filtered_sessions, session_filters
from .models import FLAGS

RESULT_WORDS = {
    "checked_in": _l("签到成功"),
    "checked_out": _l("签退成功"),
    "token_invalid": _l("二维码无效"),
    "token_expired": _l("二维码过期"),
    "site_inactive": _l("服务点停用"),
    "already_checked_in": _l("已签到未签退"),
    "not_checked_in": _l("未签到就签退"),
    "wrong_site": _l("非签到服务点"),
    "token_reused": _l("重复扫码"),
    "no_active_agreement": _l("无生效协议"),
    "day_not_allowed": _l("非可服务日"),
    "not_insured": _l("未投保"),
    "month_closed": _l("月份已结算"),
    "conflict": _l("并发冲突"),
    "rate_limited": _l("过于频繁"),
    "validation_error": _l("提交有误"),
}
VERDICT_WORDS = {
    "location_inside": _l("范围内"),
    "location_outside": _l("超出范围"),
    "location_unverified": _l("未提供位置"),
}


def _day_arg() -> date | None:
    raw = request.args.get("day") or ""
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        return None
    return day if 2000 <= day.year <= 2100 else None


@bp.get("/checkin/scans")
@role_required("enterprise_staff", "union_staff")
def scan_log():
    actor = current_actor()
    day = _day_arg()
    result = request.args.get("result", "")
    if result not in ("", "ok", "refused", *RESULT_WORDS):
        result = ""
    site_id = request.args.get("site_id", "")
    site_id = int(site_id) if site_id.isdigit() and int(site_id) < 2**31 else None
    stmt = scanlog.scan_log(actor, day=day, site_id=site_id, result=result or None)
    page = paginated(stmt, tuple, scalars=False, per_page_default=PER_PAGE)
    return render_template(
        "checkin/scan_log.html",
        page=page,
        day=day,
        result=result,
        site_id=site_id,
        sites=scanlog.log_sites(actor),
        result_words=RESULT_WORDS,
        verdict_words=VERDICT_WORDS,
        device_words=device_words,
        codes=list(RESULT_WORDS),
    )


@bp.get("/checkin/union/sessions")
@role_required("union_staff")
def union_sessions():
    actor = current_actor()
    filters = session_filters(default_status="", default_month=clock.current_month())
    page = filtered_sessions(actor, filters)
    return render_template(
        "checkin/union_sessions.html",
        page=page,
        filters=filters,
        status_choices=STATUS_CHOICES,
        flags=FLAGS,
    )
