"""What the scan page may offer (R11 asked before the tap): the action that can succeed
now, or why none can — so the page never shows a button that must fail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from .. import clock
from ..calendar.rules import MonthCalendar, month_of
from ..enterprises.models import Site
from ..errors import N_
from ..extensions import db
from ..ui.plain import day_words
from . import rules, tokens
from .attempts import MESSAGES
from .coverage import active_agreement, month_calendar
from .models import ServiceSession
from .scan_reads import token_used
from .sessions import open_session_of

LOOK_AHEAD_DAYS = 31


@dataclass
class Preview:
    """The action the page offers, or the refusal it would meet and the words for it."""

    action: str
    open_session: ServiceSession | None
    refusal: str | None = None
    message: str = ""
    next_day: date | None = None


def scan_preview(
    student_id: int, site: Site, parsed: tokens.ParsedToken, now: datetime | None = None
) -> Preview:
    """Ask the scan's own rule (R11) with what is known before the tap; writes nothing."""
    now = now or clock.now()
    today = clock.to_local(now).date()
    open_s = open_session_of(student_id, now)
    action = "check_out" if open_s else "check_in"
    params = {"student_id": student_id, "site_id": site.id}
    if parsed.kind != tokens.POSTER:  # rotating and kiosk codes are used once per step
        params["step"] = parsed.step
    else:
        params["since"] = now - timedelta(seconds=rules.POSTER_REUSE_SECONDS)
    used = bool(db.session.scalar(select(token_used(parsed.kind)), params))
    agreement, allowed = None, True
    if action == "check_in":
        agreement = active_agreement(student_id, site.enterprise_id, today)
        if agreement is not None and not agreement.allow_workdays:
            allowed = month_calendar(month_of(today)).is_allowed(today, False)
    code = rules.scan_refusal(
        action=action,
        open_site_id=open_s.site_id if open_s else None,
        site_id=site.id,
        token_already_used=used,
        has_active_agreement=action != "check_in" or agreement is not None,
        day_allowed=allowed,
    )
    preview = Preview(action, open_s, code)
    if code == "day_not_allowed":
        preview.next_day = next_allowed_day(today)
        preview.message = N_(
            "你的协议只安排在休息日和节假日服务，今天（%(day)s）是工作日，不能签到。",
            day=day_words(today),
        )
    elif code == "token_reused" and action == "check_out":
        preview.message = N_("这个二维码你已经用过了。请等平板上的二维码刷新后，再扫一次签退。")
    elif code is not None:
        preview.message = MESSAGES.get(code, "")
    return preview


def next_allowed_day(today: date) -> date | None:
    """The next rest day or holiday after today (one calendar read per month looked at)."""
    calendars: dict[str, MonthCalendar] = {}
    for offset in range(1, LOOK_AHEAD_DAYS + 1):
        day = today + timedelta(days=offset)
        month = month_of(day)
        if month not in calendars:
            calendars[month] = month_calendar(month)
        if calendars[month].is_allowed(day, False):
            return day
    return None
