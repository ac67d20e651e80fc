"""Reading the audit log within an officer's scope (the audit page and GET /api/v1/audit)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, func, or_, select

from .. import clock
from ..audit import ENTITIES, AuditEntry
from ..auth.models import User
from ..auth.scope import actor_union
from ..errors import N_, ValidationError
from ..extensions import db


def audit_entries(
    actor: User,
    *,
    entity: str | None = None,
    entity_id: str | None = None,
    actor_name: str | None = None,
    since: datetime | None = None,
) -> Select:
    """Select the audit entries an officer may read (either side's union in the subtree)."""
    union = actor_union(actor)
    path = union.path if union else "\x00"
    stmt = select(AuditEntry).where(
        or_(
            AuditEntry.union_path.startswith(path, autoescape=True),
            AuditEntry.other_union_path.startswith(path, autoescape=True),
        )
    )
    if entity:
        if entity not in ENTITIES:
            raise ValidationError.field("entity", N_("未知的对象类型。"))
        stmt = stmt.where(AuditEntry.entity == entity)
    if entity_id:
        stmt = stmt.where(AuditEntry.entity_id == entity_id[:64])
    if actor_name:
        stmt = stmt.where(AuditEntry.actor_name == actor_name[:100])
    if since is not None:
        stmt = stmt.where(AuditEntry.at >= since)
    return stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())


def parse_since(value: str | None) -> datetime | None:
    """Parse an ISO date or datetime (with offset, or local) for the `since` filter."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValidationError.field("since", N_("应为 ISO 8601 日期或时间。")) from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=clock.business_tz())
    return parsed


def page_of(stmt: Select, page: int, per_page: int) -> tuple[list[AuditEntry], int]:
    """Return one page of entries and the total count."""
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    entries = db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    return list(entries), total or 0
