"""A small factory for report and certificate tests: sessions with their month rows."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from volunteer import clock
from volunteer.checkin.models import ServiceSession, SessionMonth
from volunteer.compliance import readmodel
from volunteer.extensions import db

TZ = ZoneInfo("Asia/Shanghai")


def add_session(
    agreement,
    site,
    start: str,
    minutes: int,
    status: str = "confirmed",
    flags: str = "",
    months: dict[str, int] | None = None,
) -> ServiceSession:
    """Insert a closed session starting at a local time, and its per-month minutes."""
    check_in = datetime.fromisoformat(start).replace(tzinfo=TZ)
    check_out = check_in + timedelta(minutes=minutes)
    now = clock.now()
    session = ServiceSession(
        student_id=agreement.student_id,
        enterprise_id=agreement.enterprise_id,
        site_id=site.id,
        agreement_id=agreement.id,
        check_in_at=check_in,
        check_out_at=check_out,
        status=status,
        flags=flags,
        minutes=minutes if status in ("confirmed", "pending") else 0,
        created_at=now,
        updated_at=now,
    )
    db.session.add(session)
    db.session.flush()
    counted = status in ("confirmed", "pending")
    for month, part in (months or {start[:7]: minutes}).items():
        db.session.add(
            SessionMonth(
                session_id=session.id,
                student_id=agreement.student_id,
                enterprise_id=agreement.enterprise_id,
                agreement_id=agreement.id,
                month=month,
                minutes=part if counted else 0,
                status=status,
            )
        )
    # The check-in feature's writers announce it; here only the read model follows.
    readmodel.refresh_student(agreement.student_id, set(months or {start[:7]: minutes}))
    db.session.commit()
    return session


def set_minutes(session: ServiceSession, minutes: int, status: str | None = None) -> None:
    """Change a session's minutes (and status) and its single month row, uncommitted."""
    from sqlalchemy import select

    session.minutes = minutes
    if status:
        session.status = status
    for row in db.session.scalars(
        select(SessionMonth).where(SessionMonth.session_id == session.id)
    ):
        row.minutes = minutes if session.status in ("confirmed", "pending") else 0
        row.status = session.status
