"""database.plain_rows: the same rows as SQLAlchemy gives, as plain tuples, on both
databases; refuses what it could not convert."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from volunteer.agreements.models import Agreement
from volunteer.audit import AuditEntry
from volunteer.database import plain_rows
from volunteer.extensions import db
from volunteer.students.models import Student


def test_same_rows_as_sqlalchemy(world):
    stmt = (
        select(
            Agreement.student_id,
            Agreement.starts_on,
            Agreement.ends_on,
            Agreement.terminated_on,
            Agreement.monthly_hours,
            Agreement.allow_workdays,
        )
        .where(
            Agreement.student_id.in_(select(Student.id)), Agreement.starts_on <= date(2027, 1, 1)
        )
        .order_by(Agreement.id)
    )
    expected = [tuple(r) for r in db.session.execute(stmt).all()]
    got = [tuple(r) for r in plain_rows(stmt)]
    assert got == expected and got  # dates as dates, booleans as booleans, on both
    assert isinstance(got[0][1], date) and isinstance(got[0][5], bool)


def test_pending_changes_are_seen(world, make_student):
    student = make_student("XA")
    student.name = "改名未提交"
    rows = plain_rows(select(Student.name).where(Student.id == student.id))
    assert rows[0][0] == "改名未提交"
    db.session.rollback()


def test_refuses_type_decorated_columns(world):
    with pytest.raises(TypeError):
        plain_rows(select(AuditEntry.at))
