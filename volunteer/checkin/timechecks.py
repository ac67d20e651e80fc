"""Checks of times typed by a person (manual entry, adjustment, accepted correction):
R17 (no future, check-out after check-in, no overlap), R32 (no session longer than
MAX_SESSION_HOURS; a day above DAILY_CAP_HOURS confirmed on the pages)."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from .. import clock
from ..errors import N_, ValidationError
from ..extensions import db
from . import rules, sessions
from .models import ServiceSession


def check_times(
    student_id: int,
    check_in_at: object,
    check_out_at: object,
    now: datetime,
    exclude_id: int | None = None,
) -> tuple[datetime, datetime]:
    """Apply R17: no future, check-out after check-in, no overlap with the student's
    other (not rejected) sessions. Raises 400 validation_error."""
    fields: dict[str, list[str]] = {}
    for name, value in (("check_in_at", check_in_at), ("check_out_at", check_out_at)):
        if not isinstance(value, datetime):
            fields[name] = [N_("必填，应为带时区的时间。")]
    if fields:
        raise ValidationError(fields=fields)
    rules.validate_session_times(check_in_at, check_out_at, now)  # type: ignore[arg-type]
    rules.validate_session_length(check_in_at, check_out_at, sessions.max_session_hours())  # type: ignore[arg-type]
    stmt = select(ServiceSession.id).where(
        ServiceSession.student_id == student_id,
        ServiceSession.status != "rejected",
        ServiceSession.check_in_at < check_out_at,
        (ServiceSession.check_out_at.is_(None)) | (ServiceSession.check_out_at > check_in_at),
    )
    if exclude_id is not None:
        stmt = stmt.where(ServiceSession.id != exclude_id)
    clash_id = db.session.scalar(stmt.limit(1))
    if clash_id is not None:
        # Said as the clashing session's times, with its id for the page's link: a person
        # recognises 11-28 09:00–12:00, not a record number.
        clash = db.session.get(ServiceSession, clash_id)
        end = clock.to_local(clash.check_out_at).strftime("%H:%M") if clash.check_out_at else "…"
        reason = N_(
            "与该学生 %(start)s–%(end)s 的另一条服务记录时间重叠。",
            start=clock.to_local(clash.check_in_at).strftime("%m-%d %H:%M"),
            end=end,
        )
        raise ValidationError(
            reason,
            fields={"check_in_at": [reason], "check_out_at": [reason]},
            extra={"overlapping_session_id": clash.id},
        )
    return check_in_at, check_out_at  # type: ignore[return-value]


def check_long_day(
    student_id: int,
    check_in_at: datetime,
    check_out_at: datetime,
    confirmed: bool | None,
    exclude_id: int | None = None,
) -> None:
    """R32 on the pages: a day's total above DAILY_CAP_HOURS needs an explicit
    confirmation (`confirmed`); None (the API) skips the question."""
    if confirmed is None or confirmed:
        return
    cap = float(current_app.config["DAILY_CAP_HOURS"])
    tz = clock.business_tz()
    new = rules.minutes_by_local_day(check_in_at, check_out_at, tz)
    first = datetime.fromisoformat(min(new)).replace(tzinfo=tz)
    last = datetime.fromisoformat(max(new)).replace(tzinfo=tz) + timedelta(days=1)
    stmt = select(ServiceSession.check_in_at, ServiceSession.check_out_at).where(
        ServiceSession.student_id == student_id,
        ServiceSession.status.in_(sessions.COUNTING_STATUSES),
        ServiceSession.check_in_at < last,
        ServiceSession.check_out_at > first,
    )
    if exclude_id is not None:
        stmt = stmt.where(ServiceSession.id != exclude_id)
    others = [rules.minutes_by_local_day(a, b, tz) for a, b in db.session.execute(stmt)]
    over = rules.long_days(new, others, cap)
    if over:
        day, total = min(over.items())
        hours, limit = f"{total / 60:.1f}", f"{cap:g}"
        raise ValidationError.field(
            "confirm_long_day",
            N_(
                "该学生 %(day)s 合计 %(h)s 小时，超过每日 %(cap)s 小时；如属实，请勾选确认后再提交。",
                day=day,
                h=hours,
                cap=limit,
            ),
        )
