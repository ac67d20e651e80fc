"""Notifications' receivers: tell the person who must act when something happened."""

from __future__ import annotations

from sqlalchemy import select

from .. import clock, events
from ..auth.models import User
from ..checkin.models import Correction, ServiceSession
from ..enterprises.models import Enterprise
from ..extensions import db
from ..reports.models import Certificate
from .services import Message, link_to, notify


def _student_user(student_id: int) -> int | None:
    return db.session.scalar(
        select(User.id).where(User.student_id == student_id, User.is_enabled.is_(True))
    )


def _enterprise_name(enterprise_id: int) -> str:
    return db.session.scalar(select(Enterprise.name).where(Enterprise.id == enterprise_id)) or ""


def _session_auto_closed(
    session_id: int, *, student_id: int, enterprise_id: int, **_: object
) -> None:
    uid = _student_user(student_id)
    s = db.session.get(ServiceSession, session_id)
    if uid is None or s is None:
        return
    data = {
        "session_id": session_id,
        "on": clock.to_local(s.check_in_at).date().isoformat(),
        "enterprise_name": _enterprise_name(enterprise_id),
    }
    link = link_to("checkin.correction_request", session_id=session_id)
    notify([Message(uid, "session_auto_closed", data, link, f"session_auto_closed:{session_id}")])


def _correction_decided(correction_id: int, *, student_id: int, outcome: str, **_: object) -> None:
    uid = _student_user(student_id)
    c = db.session.get(Correction, correction_id)
    if uid is None or c is None:
        return
    s = db.session.get(ServiceSession, c.session_id)
    data = {
        "correction_id": correction_id,
        "outcome": outcome,
        "on": clock.to_local(s.check_in_at).date().isoformat() if s else "",
        "enterprise_name": _enterprise_name(c.enterprise_id),
    }
    notify([Message(uid, "correction_decided", data, link_to("checkin.student_home"))])


def _certificate_superseded(certificate_id: int, *, student_id: int, **_: object) -> None:
    uid = _student_user(student_id)
    certificate = db.session.get(Certificate, certificate_id)
    if uid is None or certificate is None:
        return
    data = {
        "certificate_id": certificate_id,
        "from_month": certificate.from_month,
        "to_month": certificate.to_month,
    }
    link = link_to("reports.my_certificates")
    notify(
        [
            Message(
                uid,
                "certificate_superseded",
                data,
                link,
                f"certificate_superseded:{certificate_id}",
            )
        ]
    )


def _attestation_changed(enterprise_id: int, *, month: str, status: str, **_: object) -> None:
    if status != "stale":
        return
    staff = db.session.scalars(
        select(User.id).where(
            User.role == "enterprise_staff",
            User.enterprise_id == enterprise_id,
            User.is_enabled.is_(True),
        )
    ).all()
    link = link_to("reports.enterprise_report_page", month=month)
    notify([Message(uid, "attestation_stale", {"month": month}, link) for uid in staff])


def _followup_assigned(
    followup_id: int, *, assignee_id: int, student_name: str, month: str, **_: object
) -> None:
    data = {"followup_id": followup_id, "student_name": student_name, "month": month}
    link = link_to("followups.detail", case_id=followup_id)
    notify([Message(assignee_id, "followup_assigned", data, link)])


def connect_receivers() -> None:
    """Listen to the events a person should hear about."""
    events.session_auto_closed.connect(_session_auto_closed)
    events.correction_decided.connect(_correction_decided)
    events.certificate_superseded.connect(_certificate_superseded)
    events.attestation_changed.connect(_attestation_changed)
    events.followup_assigned.connect(_followup_assigned)
