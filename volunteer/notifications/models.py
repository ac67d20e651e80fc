"""The inbox, the delivery outbox and per-kind opt-outs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .. import clock
from ..dbtypes import JSONText, UTCDateTime
from ..extensions import db


class Notification(db.Model):
    """One message in a user's inbox."""

    __tablename__ = "notifications"
    __table_args__ = (
        # The bell's count and the inbox read by these two.
        Index("ix_notifications_user_read", "user_id", "read_at"),
        Index("ix_notifications_user_created", "user_id", "created_at"),
        # What makes a reminder at most once: send-reminders may run again at any time.
        # Key first: "who already has this reminder" is one index range.
        UniqueConstraint("dedupe_key", "user_id", name="uq_notifications_key_user"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(400))
    data: Mapped[Any] = mapped_column(JSONText(), nullable=True)
    dedupe_key: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def to_dict(self) -> dict:
        """Serialise as the API's Notification object."""
        return {
            "id": self.id,
            "kind": self.kind,
            "title": self.title,
            "body": self.body,
            "link": self.link,
            "data": self.data or {},
            "created_at": clock.to_local(self.created_at).isoformat(),
            "read_at": clock.to_local(self.read_at).isoformat() if self.read_at else None,
        }


class Delivery(db.Model):
    """One message to send by email or SMS: the durable outbox and the delivery log."""

    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    channel: Mapped[str] = mapped_column(String(10))  # email | sms
    address: Mapped[str] = mapped_column(String(254))
    # pending → sent | failed (attempts exhausted) | capped | opted_out
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class NotificationOptOut(db.Model):
    """A user does not want email or SMS for a kind (the inbox still gets it)."""

    __tablename__ = "notification_opt_outs"
    __table_args__ = (UniqueConstraint("user_id", "kind", name="uq_notification_opt_outs"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(40))
