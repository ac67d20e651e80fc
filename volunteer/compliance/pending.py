"""Who holds a union's unconfirmed hours for a month: the enterprises to remind before
the close, in one grouped query (the close page lists them beside the students)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from ..checkin.models import SessionMonth
from ..enterprises.models import Enterprise
from ..extensions import db
from ..unions.models import Union
from .groups import subtree_student_ids


@dataclass
class PendingEnterprise:
    """An enterprise with sessions of the union's students still waiting for it."""

    enterprise_id: int
    name: str
    contact_name: str | None
    contact_phone: str | None
    minutes: int
    students: int


def pending_by_enterprise(union: Union, month: str) -> list[PendingEnterprise]:
    """Return the enterprises holding pending minutes of the union's students, most first."""
    stmt = (
        select(
            Enterprise.id,
            Enterprise.name,
            Enterprise.contact_name,
            Enterprise.contact_phone,
            func.sum(SessionMonth.minutes),
            func.count(func.distinct(SessionMonth.student_id)),
        )
        .join(Enterprise, Enterprise.id == SessionMonth.enterprise_id)
        .where(
            SessionMonth.month == month,
            SessionMonth.status == "pending",
            SessionMonth.student_id.in_(subtree_student_ids(union)),
        )
        .group_by(Enterprise.id, Enterprise.name, Enterprise.contact_name, Enterprise.contact_phone)
        .order_by(func.sum(SessionMonth.minutes).desc(), Enterprise.name)
    )
    return [PendingEnterprise(*row) for row in db.session.execute(stmt)]
