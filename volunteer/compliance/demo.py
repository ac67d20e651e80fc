"""Demo exemptions for `flask seed-demo`: one exam week and one illness this month.

The previous month is left open on purpose: closing it (after the page's warning about
pending minutes) is one of the things a union officer tries first.
"""

from __future__ import annotations

from sqlalchemy import select

from .. import clock
from ..auth.models import User
from ..extensions import db
from ..students.models import Student
from . import services

LOGINS: list[tuple[str, str, str]] = []
# Students whose own pages the demo logins show stay unexempted, so they look typical.
_KEEP = ("stu_demo1", "stu_demo2")
_EXEMPTIONS = (
    (8 * 60, "期中考试周（学校出具考试安排证明）"),
    (None, "阑尾炎住院治疗，医院出具证明"),
)


def seed() -> None:
    """Fill the read model from the demo rows (the features' demo seeds write in bulk,
    without their events), then exempt two XA students who have a requirement this month."""
    from .readmodel_verify import backfill

    backfill()
    staff = db.session.scalar(select(User).where(User.username == "xa_staff"))
    if staff is None:
        return
    kept = select(User.student_id).where(User.username.in_(_KEEP), User.student_id.is_not(None))
    ids = select(Student.id).where(Student.union_code == "XA", Student.id.not_in(kept))
    month = clock.current_month()
    rows = [r for r in services.compute_month_rows(month, ids) if r.gross_minutes > 0]
    for row, (minutes, reason) in zip(rows, _EXEMPTIONS, strict=False):
        services.create_exemption(staff, row.student_id, month, reason, minutes)
