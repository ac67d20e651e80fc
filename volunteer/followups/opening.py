"""Opening cases when a union closes a month (R35): one per missed student, set-based."""

from __future__ import annotations

from sqlalchemy import select

from .. import audit, clock
from ..auth.models import User
from ..calendar.rules import add_months
from ..compliance.models import MonthFigure
from ..compliance.monthrows import compute_rows_by_month
from ..extensions import db
from ..students.models import Student
from ..unions.models import Union
from . import rules
from .models import FollowUp


def _insert_ignoring_duplicates(rows: list[dict]) -> None:
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    # No RETURNING (three times the cost at province scale): the new ids are read after.
    stmt = dialect_insert(FollowUp).on_conflict_do_nothing(index_elements=["student_id", "month"])
    for start in range(0, len(rows), 2000):
        db.session.execute(stmt, rows[start : start + 2000])


def open_cases(union_code: str, month: str, actor: User | None) -> int:
    """Open a case for each missed student of the union's subtree (no commit).

    Reopening and closing again opens nothing twice: a case is unique per student-month.
    """
    union = db.session.get(Union, union_code)
    if union is None:
        return 0
    codes = select(Union.code).where(Union.path.startswith(union.path, autoescape=True))
    missed_ids = (
        select(MonthFigure.student_id)
        .join(Student, Student.id == MonthFigure.student_id)
        .where(
            MonthFigure.month == month,
            MonthFigure.status == "missed",
            Student.union_code.in_(codes),
        )
    )
    students = db.session.execute(
        select(Student.id, Student.union_code, Union.path)
        .join(Union, Union.code == Student.union_code)
        .where(Student.id.in_(missed_ids))
    ).all()
    # A reopened month closed again, or a parent closing after a child: cases exist.
    have = set(
        db.session.scalars(
            select(FollowUp.student_id).where(
                FollowUp.month == month, FollowUp.student_id.in_(missed_ids)
            )
        )
    )
    students = [s for s in students if s[0] not in have]
    if not students:
        return 0
    before = add_months(month, -1)
    earlier = compute_rows_by_month([before], missed_ids, final=True)[before]
    missed_before = {r.student_id for r in earlier if r.status == "missed"}
    now = clock.now()
    rows = [
        {
            "student_id": sid,
            "union_code": code,
            "month": month,
            "status": rules.initial_status(sid in missed_before),
            "created_at": now,
            "updated_at": now,
        }
        for sid, code, _path in students
    ]
    _insert_ignoring_duplicates(rows)
    made = db.session.execute(
        select(FollowUp.id, FollowUp.student_id).where(
            FollowUp.month == month, FollowUp.created_at == now
        )
    ).all()
    paths = {sid: path for sid, _code, path in students}
    audit.write_many(
        actor,
        "opened",
        "followup",
        [
            (
                fid,
                {
                    "after": {
                        "student_id": sid,
                        "month": month,
                        "status": rules.initial_status(sid in missed_before),
                    },
                    "union_path": paths[sid],
                },
            )
            for fid, sid in made
            if sid in paths
        ],
    )
    return len(made)
