"""An enterprise's attestation (签字确认) of a month's roster (R30): only a month that is
over and settled; it locks the month for the enterprise; a later change of the month's
figures makes it stale until the enterprise attests again."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from .. import audit, clock, events
from ..auth import scope
from ..auth.models import User
from ..checkin.models import Correction, ServiceSession
from ..enterprises.models import Enterprise
from ..errors import N_, Conflict, Forbidden
from ..extensions import db
from ..students.models import Student
from ..unions.models import Union
from .locks import attestation_of
from .models import Attestation
from .rules import checked_month, is_month_over, month_span

UNRESOLVED_STATUSES = ("open", "pending", "auto_closed")


def _local_bounds(month: str) -> tuple[datetime, datetime]:
    first, last = month_span(month)
    tz = clock.business_tz()
    start = datetime(first.year, first.month, first.day, tzinfo=tz)
    end = datetime(last.year, last.month, last.day, tzinfo=tz) + timedelta(days=1)
    return start, end


def _touching(month: str):
    start, end = _local_bounds(month)
    return (ServiceSession.check_in_at < end) & or_(
        ServiceSession.check_out_at.is_(None), ServiceSession.check_out_at > start
    )


def unresolved_sessions(enterprise_id: int, month: str) -> list[ServiceSession]:
    """Return the enterprise's sessions in a month that are not settled: open, pending or
    auto-closed, or with an open correction request (R30), in time order."""
    month = checked_month(month)
    waiting = select(Correction.session_id).where(
        Correction.enterprise_id == enterprise_id, Correction.status == "open"
    )
    stmt = (
        select(ServiceSession)
        .where(ServiceSession.enterprise_id == enterprise_id, _touching(month))
        .where(or_(ServiceSession.status.in_(UNRESOLVED_STATUSES), ServiceSession.id.in_(waiting)))
        .order_by(ServiceSession.check_in_at, ServiceSession.id)
    )
    return list(db.session.scalars(stmt))


def unresolved_rows(enterprise_id: int, month: str) -> list[dict]:
    """Return what the attestation page lists of the unsettled sessions: id, student,
    check-in time, status and whether a correction request waits (two queries)."""
    found = unresolved_sessions(enterprise_id, month)
    if not found:
        return []
    ids = [s.id for s in found]
    names = dict(
        db.session.execute(
            select(ServiceSession.id, Student.name)
            .join(Student, Student.id == ServiceSession.student_id)
            .where(ServiceSession.id.in_(ids))
        ).all()
    )
    waiting = set(
        db.session.scalars(
            select(Correction.session_id).where(
                Correction.session_id.in_(ids), Correction.status == "open"
            )
        )
    )
    return [
        {
            "id": s.id,
            "student_name": names.get(s.id, ""),
            "check_in_at": s.check_in_at,
            "status": s.status,
            "correction_open": s.id in waiting,
        }
        for s in found
    ]


def _union_path(enterprise: Enterprise) -> str | None:
    return db.session.scalar(select(Union.path).where(Union.code == enterprise.union_code))


def attest_month(
    actor: User, enterprise_id: object, month: object, *, now: datetime | None = None
) -> tuple[Attestation, bool]:
    """Attest an enterprise's month once it is over and settled; commits.

    Returns the attestation and whether anything changed: attesting a current
    attestation again changes nothing, so a repeated click or a retry is harmless.
    """
    if actor.role != "enterprise_staff":
        raise Forbidden()
    now = now or clock.now()
    enterprise = scope.get_or_404(scope.managed_enterprises(actor), Enterprise, enterprise_id)
    month = checked_month(month)
    if not is_month_over(month, clock.to_local(now).date()):
        raise Conflict("month_not_over", N_("月份结束后才能签字确认。"))
    existing = attestation_of(enterprise.id, month)
    if existing is not None and existing.status == "current":
        return existing, False
    unresolved = unresolved_sessions(enterprise.id, month)
    if unresolved:
        raise Conflict(
            "unresolved_sessions",
            N_(
                "本月还有 %(n)s 条服务记录未处理（进行中、待确认、自动签退或有待处理的更正申请），"
                "请先处理后再签字确认。",
                n=len(unresolved),
            ),
            details={"sessions": [s.id for s in unresolved]},
        )
    before = attestation_to_dict(existing, enterprise.id, month) if existing else None
    attestation = existing or Attestation(enterprise_id=enterprise.id, month=month)
    attestation.attested_at, attestation.attested_by_id = now, actor.id
    attestation.signer_name, attestation.stale_since = actor.name, None
    if existing is None:
        db.session.add(attestation)
    try:
        db.session.flush()
    except IntegrityError:
        # A concurrent request attested first: answer with its attestation.
        db.session.rollback()
        existing = attestation_of(enterprise.id, month)
        if existing is None:
            raise Conflict("conflict", N_("请稍后重试。")) from None
        return existing, False
    audit.record(
        actor,
        "attested" if before is None else "reattested",
        "attestation",
        f"{enterprise.id}:{month}",
        before=before,
        after=attestation_to_dict(attestation, enterprise.id, month),
        union_path=_union_path(enterprise),
    )
    events.attestation_changed.send(enterprise.id, month=month, status="current", actor=actor)
    db.session.commit()
    return attestation, True


def attestation_state(actor: User, enterprise_id: object, month: object) -> dict:
    """Return the Attestation object of an enterprise's month (status none before any)."""
    enterprise = scope.get_or_404(scope.report_enterprises(actor), Enterprise, enterprise_id)
    month = checked_month(month)
    return attestation_to_dict(attestation_of(enterprise.id, month), enterprise.id, month)


def attestation_to_dict(attestation: Attestation | None, enterprise_id: int, month: str) -> dict:
    """Serialise an attestation as the API's Attestation (R30)."""
    if attestation is None:
        return {
            "enterprise_id": enterprise_id,
            "month": month,
            "status": "none",
            "attested_at": None,
            "signer_name": None,
            "stale_since": None,
        }
    stale = attestation.stale_since
    return {
        "enterprise_id": attestation.enterprise_id,
        "month": attestation.month,
        "status": attestation.status,
        "attested_at": clock.to_local(attestation.attested_at).isoformat(),
        "signer_name": attestation.signer_name,
        "stale_since": clock.to_local(stale).isoformat() if stale else None,
    }
