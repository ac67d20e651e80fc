"""The delivery log: what was sent to whom, when, and what went wrong."""

from __future__ import annotations

from sqlalchemy import select

from ..auth import scope
from ..auth.models import User
from ..errors import N_, ValidationError
from ..extensions import db
from ..jsonapi import paginated
from . import rules
from .models import Delivery, Notification

STATUSES = ("pending", "sent", "failed", "capped", "opted_out")


def _rows(stmt):
    return (
        stmt.add_columns(Notification.kind, User.name)
        .join(Notification, Notification.id == Delivery.notification_id)
        .join(User, User.id == Delivery.user_id)
        .order_by(Delivery.created_at.desc(), Delivery.id.desc())
    )


def _serialise(row) -> dict:
    d, kind, name = row
    return {
        "id": d.id,
        "user_name": name,
        "kind": kind,
        "channel": d.channel,
        "address": rules.mask_address(d.channel, d.address),
        "status": d.status,
        "attempts": d.attempts,
        "last_error": d.last_error,
        "created_at": d.created_at,
        "sent_at": d.sent_at,
        "next_attempt_at": d.next_attempt_at,
    }


def delivery_page(actor: User, status: str | None) -> dict:
    """Page the deliveries to the accounts the actor manages (union staff: their scope;
    enterprise staff: their enterprise's staff)."""
    if actor.role == "union_staff":
        users = scope.users(actor).with_only_columns(User.id)
    else:
        users = select(User.id).where(User.enterprise_id == actor.enterprise_id)
    stmt = select(Delivery).where(Delivery.user_id.in_(users))
    if status:
        if status not in STATUSES:
            raise ValidationError.field("status", N_("未知状态。"))
        stmt = stmt.where(Delivery.status == status)
    return paginated(_rows(stmt), _serialise, scalars=False)


def own_deliveries(actor: User, limit: int = 10) -> list[dict]:
    """Return the actor's own latest deliveries (shown on the preferences page)."""
    stmt = _rows(select(Delivery).where(Delivery.user_id == actor.id)).limit(limit)
    return [_serialise(r) for r in db.session.execute(stmt)]
