"""Helpers for compliance tests: sessions and their month minutes written directly.

The check-in feature writes these rows in real use; here a small factory inserts a
ServiceSession and its SessionMonth so compliance can be tested on its own.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event

from volunteer import clock
from volunteer.compliance import readmodel

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(name="add_minutes")
def add_minutes_fixture(app, make_site):
    """add_minutes(student, agreement, '2026-11-07', 240, status='confirmed') → session."""
    from volunteer.agreements.models import Agreement
    from volunteer.checkin.models import ServiceSession, SessionMonth
    from volunteer.enterprises.models import Enterprise
    from volunteer.extensions import db

    sites: dict[int, int] = {}

    def add(student, agreement: Agreement, day: str, minutes: int, status: str = "confirmed"):
        if agreement.enterprise_id not in sites:
            enterprise = db.session.get(Enterprise, agreement.enterprise_id)
            sites[agreement.enterprise_id] = make_site(enterprise, "测试服务点").id
        start = datetime.fromisoformat(f"{day} 09:00").replace(tzinfo=SHANGHAI)
        end = start + timedelta(minutes=minutes)
        now = clock.now()
        session = ServiceSession(
            student_id=student.id,
            enterprise_id=agreement.enterprise_id,
            site_id=sites[agreement.enterprise_id],
            agreement_id=agreement.id,
            check_in_at=start,
            check_out_at=end,
            status=status,
            flags="",
            minutes=minutes,
            created_at=now,
            updated_at=now,
        )
        db.session.add(session)
        db.session.flush()
        db.session.add(
            SessionMonth(
                session_id=session.id,
                student_id=student.id,
                enterprise_id=agreement.enterprise_id,
                agreement_id=agreement.id,
                month=day[:7],
                minutes=minutes,
                status=status,
            )
        )
        # The check-in feature's writers announce it; here only the read model follows.
        readmodel.refresh_student(student.id, {day[:7]})
        db.session.commit()
        return session

    return add


class StatementCounter:
    """Count SQL statements sent to the database while active."""

    def __init__(self, engine):
        self.engine = engine
        self.count = 0
        self.statements: list[str] = []

    def _on_execute(self, conn, cursor, statement, parameters, context, executemany):
        self.count += 1
        self.statements.append(statement)

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._on_execute)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._on_execute)
