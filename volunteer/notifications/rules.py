"""Pure rules of notifications: kinds, when reminders are due, quiet hours, retries."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from ..errors import N_

# Stable codes (R34), in the order the preferences page lists them.
KINDS = (
    "pace_reminder",
    "session_auto_closed",
    "correction_decided",
    "certificate_superseded",
    "confirmations_pending",
    "attestation_stale",
    "month_digest",
    "agreement_ending",
    "followup_assigned",
)
KIND_WORDS = {
    "pace_reminder": N_("服务进度提醒"),
    "session_auto_closed": N_("自动签退"),
    "correction_decided": N_("更正申请结果"),
    "certificate_superseded": N_("证明已失效"),
    "confirmations_pending": N_("待确认的服务记录"),
    "attestation_stale": N_("签字确认需重新确认"),
    "month_digest": N_("月度汇总"),
    "agreement_ending": N_("协议即将到期"),
    "followup_assigned": N_("帮扶跟进指派"),
}
# Which roles ever receive a kind (the preferences page shows only these).
KIND_ROLES = {
    "pace_reminder": {"student"},
    "session_auto_closed": {"student"},
    "correction_decided": {"student"},
    "certificate_superseded": {"student"},
    "confirmations_pending": {"enterprise_staff"},
    "attestation_stale": {"enterprise_staff"},
    "month_digest": {"union_staff"},
    "agreement_ending": {"student", "enterprise_staff", "union_staff"},
    "followup_assigned": {"union_staff"},
}
CHANNELS = ("email", "sms")
QUIET_START = time(22, 0)
QUIET_END = time(8, 0)
AGREEMENT_NOTICE_DAYS = 14
BACKOFF_BASE_SECONDS = 60
BACKOFF_MAX_SECONDS = 6 * 3600
MAX_ATTEMPTS = 8
# 18-character resident ID numbers (GB 11643), as they could appear in free text.
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")


def kinds_for_role(role: str) -> list[str]:
    """Return the kinds a role may receive, in display order."""
    return [k for k in KINDS if role in KIND_ROLES[k]]


def is_run_eve(today_is_allowed: bool, tomorrow_is_allowed: bool) -> bool:
    """Tell whether today is the day before a run of allowed days (pace reminders)."""
    return tomorrow_is_allowed and not today_is_allowed


def pace_reminder_due(status: str, needed_minutes: int) -> bool:
    """Tell whether a student-month deserves a pace reminder (R34)."""
    return status in ("on_track", "at_risk") and needed_minutes > 0


def agreement_ending_window(today: date) -> tuple[date, date]:
    """Return the range of `ends_on` dates that warrant the 14-day notice today."""
    return today, today + timedelta(days=AGREEMENT_NOTICE_DAYS)


def in_quiet_hours(local: datetime) -> bool:
    """Tell whether a local time lies in the quiet hours (22:00–08:00)."""
    t = local.time()
    return t >= QUIET_START or t < QUIET_END


def after_quiet_hours(local: datetime) -> datetime:
    """Return `local` itself, or the end of the quiet hours it falls in (08:00 local)."""
    if not in_quiet_hours(local):
        return local
    day = local.date() if local.time() < QUIET_END else local.date() + timedelta(days=1)
    return datetime.combine(day, QUIET_END, tzinfo=local.tzinfo)


def retry_delay(attempts: int) -> timedelta:
    """Return the wait after `attempts` failed attempts: exponential, capped."""
    seconds = BACKOFF_BASE_SECONDS * 2 ** max(0, attempts - 1)
    return timedelta(seconds=min(seconds, BACKOFF_MAX_SECONDS))


def scrub(text: str) -> str:
    """Mask anything that looks like an ID number: no message ever carries one."""
    return _ID_NUMBER.sub(lambda m: m.group(0)[:3] + "*" * 11 + m.group(0)[-4:], text)


def mask_address(channel: str, address: str) -> str:
    """Show an address in the delivery log without giving it away."""
    if channel == "sms" and len(address) >= 7:
        return address[:3] + "****" + address[-4:]
    name, _, domain = address.partition("@")
    return (name[:1] + "***@" + domain) if domain else "***"
