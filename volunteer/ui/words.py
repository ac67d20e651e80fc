"""Words for the status and flag codes the pages show."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

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
    "offline": _l("离线扫码"),
    "uninsured": _l("未投保"),
}


def status_word(code: str | None) -> str:
    """Return the words for a status code."""
    return str(STATUS_WORDS.get(code or "", code or ""))


def flag_word(code: str) -> str:
    """Return the words for a session flag."""
    return str(FLAG_WORDS.get(code, code))
