"""The anomaly queue (R42): what looks wrong, with its evidence, for a person to judge."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import clock
from ..dbtypes import JSONText, UTCDateTime
from ..extensions import db

KINDS = ("shared_device", "impossible_travel", "location_pattern", "long_day", "manual_heavy")
STATUSES = ("open", "dismissed", "confirmed")


def _iso(value: datetime | None) -> str | None:
    return None if value is None else clock.to_local(value).isoformat(timespec="seconds")


class Anomaly(db.Model):
    """One queued anomaly: its kind, status, the students and sessions it concerns."""

    __tablename__ = "anomalies"
    __table_args__ = (
        # At most one open shared_device anomaly per device: later scans join it (R42).
        Index(
            "uq_anomalies_open_device",
            "device_id",
            unique=True,
            sqlite_where=text("status = 'open' AND device_id IS NOT NULL"),
            postgresql_where=text("status = 'open' AND device_id IS NOT NULL"),
        ),
        Index("ix_anomalies_status_kind", "status", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(20), default="open")
    # What makes a nightly finding the same finding next night (idempotence); a shared
    # device is keyed by its open anomaly instead.
    key: Mapped[str | None] = mapped_column(String(160), unique=True)
    device_id: Mapped[str | None] = mapped_column(String(64))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True)
    session_ids: Mapped[Any] = mapped_column(JSONText())
    evidence: Mapped[Any] = mapped_column(JSONText())
    note: Mapped[str | None] = mapped_column(Text)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    students: Mapped[list[AnomalyStudent]] = relationship(
        lazy="selectin", order_by="AnomalyStudent.student_id", cascade="all, delete-orphan"
    )

    @property
    def student_ids(self) -> list[int]:
        """Return the ids of the students concerned, ascending."""
        return [link.student_id for link in self.students]

    def to_dict(self) -> dict:
        """Serialise as the API's Anomaly object."""
        return {
            "id": self.id,
            "kind": self.kind,
            "status": self.status,
            "detected_at": _iso(self.detected_at),
            "student_ids": self.student_ids,
            "session_ids": list(self.session_ids or []),
            "enterprise_id": self.enterprise_id,
            "evidence": self.evidence or {},
            "note": self.note,
            "resolved_at": _iso(self.resolved_at),
        }


class AnomalyStudent(db.Model):
    """A student an anomaly concerns (scope: the student's union sees it)."""

    __tablename__ = "anomaly_students"

    anomaly_id: Mapped[int] = mapped_column(ForeignKey("anomalies.id"), primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), primary_key=True, index=True)
