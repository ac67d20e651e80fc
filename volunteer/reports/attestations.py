"""An enterprise's attestation (签字确认) of a month's roster (R23), which locks its month."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import audit, clock
from ..auth import scope
from ..auth.models import User
from ..calendar.rules import parse_month
from ..compliance.models import Attestation
from ..enterprises.models import Enterprise
from ..errors import N_, Conflict, Forbidden
from ..extensions import db
from ..unions.services import union_path
from .rules import is_month_over


def attestation_of(enterprise_id: int, month: str) -> Attestation | None:
    """Return the enterprise's attestation of a month, if it has attested."""
    return db.session.scalars(
        select(Attestation).where(
            Attestation.enterprise_id == enterprise_id, Attestation.month == month
        )
    ).first()


def attest_month(
    actor: User, enterprise_id: object, month: object, *, now: datetime | None = None
) -> tuple[Attestation, bool]:
    """Attest an enterprise's month once it is over (409 month_not_over); commits.

    A second attestation changes nothing and returns the first with False, so that a
    repeated click or retried request is harmless.
    """
    if actor.role != "enterprise_staff":
        raise Forbidden()
    now = now or clock.now()
    enterprise = scope.get_or_404(scope.managed_enterprises(actor), Enterprise, enterprise_id)
    # A future month is simply not over yet: the same 409 as the current one.
    month = parse_month(month)
    if not is_month_over(month, clock.to_local(now).date()):
        raise Conflict("month_not_over", N_("月份结束后才能签字确认。"))
    existing = attestation_of(enterprise.id, month)
    if existing is not None:
        return existing, False
    attestation = Attestation(
        enterprise_id=enterprise.id,
        month=month,
        attested_at=now,
        attested_by_id=actor.id,
        signer_name=actor.name,
    )
    db.session.add(attestation)
    audit.record(
        actor,
        "attested",
        "report",
        f"enterprise:{enterprise.id}:{month}",
        after={"enterprise_id": enterprise.id, "month": month, "signer_name": actor.name},
        union_path=union_path(enterprise.union_code),
    )
    try:
        db.session.commit()
    except IntegrityError:
        # A concurrent request attested first: answer with its attestation.
        db.session.rollback()
        existing = attestation_of(enterprise.id, month)
        if existing is None:
            raise Conflict("conflict", N_("请稍后重试。")) from None
        return existing, False
    return attestation, True


def attestation_to_dict(attestation: Attestation) -> dict:
    """Serialise an attestation for the API."""
    return {
        "enterprise_id": attestation.enterprise_id,
        "month": attestation.month,
        "attested_at": clock.to_local(attestation.attested_at).isoformat(),
        "signer_name": attestation.signer_name,
    }
