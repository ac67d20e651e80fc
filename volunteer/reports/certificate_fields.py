"""The national fields a certificate carries as issued (R39): the issuer's names and
contact, and for an internship certificate the enterprises' evaluations (R38)."""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import select

from ..agreements.models import Agreement
from ..auth.models import User
from ..enterprises.models import Enterprise
from ..extensions import db
from ..records.models import Evaluation
from ..unions.models import Union

SELF_SERVICE_HANDLER = "系统自助出具"


def contact_line(union: Union | None) -> str:
    """Return the contact printed on a certificate: the union's, the configured one, or a
    line naming the union."""
    if union is not None and union.contact:
        return union.contact
    configured = current_app.config.get("CERTIFICATE_CONTACT")
    if configured:
        return configured
    return f"请与{union.name}联系核实" if union is not None else ""


def issuer_snapshot(actor: User | None, union_code: str | None) -> dict[str, Any]:
    """Return {union_name, leader_name, handler_name, contact} as of now: the 经办人 is the
    staff member who issues it (a student's own request is issued by the system)."""
    union = db.session.get(Union, union_code) if union_code else None
    if actor is not None and actor.role == "union_staff":
        handler = actor.name or actor.username
    else:
        handler = SELF_SERVICE_HANDLER
    return {
        "union_name": union.name if union else "",
        "leader_name": union.leader_name if union else None,
        "handler_name": handler,
        "contact": contact_line(union),
    }


def evaluations_snapshot(student_id: int, kind: str, first: str, last: str) -> list[dict]:
    """Return the evaluations of the student's agreements of `kind` in the months (one query)."""
    stmt = (
        select(Evaluation.month, Enterprise.name, Evaluation.rating, Evaluation.comment)
        .join(Agreement, Agreement.id == Evaluation.agreement_id)
        .join(Enterprise, Enterprise.id == Evaluation.enterprise_id)
        .where(
            Evaluation.student_id == student_id,
            Agreement.kind == kind,
            Evaluation.month >= first,
            Evaluation.month <= last,
        )
        .order_by(Evaluation.month, Enterprise.name)
    )
    return [
        {"month": month, "enterprise_name": name, "rating": rating, "comment": comment}
        for month, name, rating, comment in db.session.execute(stmt)
    ]
