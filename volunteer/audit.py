"""The append-only audit log (R22): who, when, what, before and after."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column

from . import clock
from .dbtypes import JSONText, UTCDateTime
from .extensions import db

ENTITIES = (
    "union",
    "user",
    "student",
    "enterprise",
    "site",
    "agreement",
    "session",
    "correction",
    "exemption",
    "calendar",
    "month",
    "report",
    "certificate",
    "kiosk",
    "attestation",
    "followup",
    "anomaly",
    "evaluation",
    "record",
    "export",
)
# Never written to the log, whatever a caller passes.
SECRET_KEYS = {"password", "password_hash", "secret", "token", "token_hash", "id_number_cipher"}


class AuditEntry(db.Model):
    """One audited change; rows are never updated or deleted."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_entity", "entity", "entity_id"),
        Index("ix_audit_log_at", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    actor_name: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(60))
    entity: Mapped[str] = mapped_column(String(30))
    entity_id: Mapped[str] = mapped_column(String(64))
    # Union paths that may read this entry (the student's and the enterprise's sides).
    union_path: Mapped[str | None] = mapped_column(String(400), index=True)
    other_union_path: Mapped[str | None] = mapped_column(String(400), index=True)
    before: Mapped[Any] = mapped_column(JSONText(), nullable=True)
    after: Mapped[Any] = mapped_column(JSONText(), nullable=True)
    ip: Mapped[str | None] = mapped_column(String(64))

    def to_dict(self) -> dict:
        """Serialise as the API's audit item."""
        return {
            "at": clock.to_local(self.at).isoformat(),
            "actor": self.actor_name,
            "actor_id": self.actor_id,
            "action": self.action,
            "entity": self.entity,
            "entity_id": self.entity_id,
            "before": self.before,
            "after": self.after,
        }


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _refuse_change(mapper: Any, connection: Any, target: AuditEntry) -> None:
    raise RuntimeError("the audit log is append-only")


def _clean(values: dict[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    return {k: v for k, v in values.items() if k not in SECRET_KEYS}


def _client_ip() -> str | None:
    try:
        from flask import has_request_context, request

        return request.remote_addr if has_request_context() else None
    except RuntimeError:
        return None


def _values(
    actor: Any,
    action: str,
    entity: str,
    entity_id: Any,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    union_path: str | None = None,
    other_union_path: str | None = None,
) -> dict[str, Any]:
    """Return the column values of an audit entry (secrets dropped from before/after)."""
    if entity not in ENTITIES:
        raise ValueError(f"unknown audit entity {entity!r}")
    return dict(
        at=clock.now(),
        actor_id=getattr(actor, "id", None),
        actor_name=getattr(actor, "username", None) or "system",
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        union_path=union_path,
        other_union_path=other_union_path,
        before=_clean(before),
        after=_clean(after),
        ip=_client_ip(),
    )


def record(actor: Any, action: str, entity: str, entity_id: Any, **fields: Any) -> AuditEntry:
    """Add an audit entry to the current transaction (the service commits it); `fields`
    are _values' before, after, union_path and other_union_path."""
    entry = AuditEntry(**_values(actor, action, entity, entity_id, **fields))
    db.session.add(entry)
    return entry


def write(actor: Any, action: str, entity: str, entity_id: Any, **fields: Any) -> None:
    """Like record, but inserted at once as one INSERT without the unit of work (the
    scan's hot path); the service still commits it with the rest."""
    db.session.flush()
    values = _values(actor, action, entity, entity_id, **fields)
    db.session.connection().execute(AuditEntry.__table__.insert(), values)


def write_many(actor: Any, action: str, entity: str, entries: list[tuple[Any, dict]]) -> None:
    """Insert one audit entry per (entity_id, fields) in one statement (bulk use cases
    such as the follow-up cases a month close opens); the service commits them."""
    if not entries:
        return
    db.session.flush()
    rows = [_values(actor, action, entity, eid, **fields) for eid, fields in entries]
    db.session.connection().execute(AuditEntry.__table__.insert(), rows)
