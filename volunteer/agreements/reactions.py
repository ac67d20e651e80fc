"""Agreements' answers to what lower features ask (volunteer/events.py, "Questions")."""

from __future__ import annotations

from datetime import date
from typing import Any

from .. import events
from ..auth.models import User
from ..extensions import db
from . import queries, services


def _places_taken(
    _sender: object, *, enterprise_ids: list[int], from_on: date, to_on: date, **_: object
) -> dict[int, int]:
    return queries.peak_in_use(from_on, to_on, enterprise_ids)


def _enterprise_agreements(
    actor: User,
    *,
    enterprise_id: int | None,
    status: str | None,
    today: date | None,
    limit: int | None,
    **_: object,
) -> list[Any]:
    stmt = services.with_names(
        services.list_agreements(actor, enterprise_id=enterprise_id, status=status, today=today)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(db.session.execute(stmt).all())


def connect_receivers() -> None:
    """Answer the enterprise pages' questions about places taken and agreements."""
    events.places_taken.connect(_places_taken)
    events.enterprise_agreements.connect(_enterprise_agreements)
