"""Month locks (R21, R29) and enterprise attestations (R30): the periods a change may not
reach without an override."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..dbtypes import UTCDateTime
from ..extensions import db


class MonthClose(db.Model):
    """A union's lock of a month for its subtree (R21)."""

    __tablename__ = "month_closes"
    __table_args__ = (UniqueConstraint("union_code", "month", name="uq_month_closes_union_month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    union_code: Mapped[str] = mapped_column(ForeignKey("unions.code"))
    month: Mapped[str] = mapped_column(String(7), index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reopened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reopen_reason: Mapped[str | None] = mapped_column(Text)

    @property
    def is_closed(self) -> bool:
        """Return whether the lock is in force."""
        return self.closed_at is not None


class Attestation(db.Model):
    """An enterprise's signed confirmation (签字确认) of a month's roster (R30)."""

    __tablename__ = "attestations"
    __table_args__ = (
        UniqueConstraint("enterprise_id", "month", name="uq_attestations_enterprise_month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    month: Mapped[str] = mapped_column(String(7))
    attested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    signer_name: Mapped[str] = mapped_column(String(100))
    # When the figures first changed after the signature; None while it is current.
    stale_since: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def status(self) -> str:
        """Return "current" or "stale" (R30)."""
        return "stale" if self.stale_since is not None else "current"
