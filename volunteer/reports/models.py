"""Issued certificates (R25)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..dbtypes import JSONText, UTCDateTime
from ..extensions import db


class Certificate(db.Model):
    """A certificate of service for a student and a span of months."""

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    from_month: Mapped[str] = mapped_column(String(7))
    to_month: Mapped[str] = mapped_column(String(7))
    minutes: Mapped[int] = mapped_column()
    # A digest of the confirmed sessions behind the figure: a change supersedes it.
    fingerprint: Mapped[str] = mapped_column(String(64))
    # The issuing union (the student's at issue) and the per-enterprise lines as issued:
    # a re-download reproduces the document that was certified, even after changes.
    union_code: Mapped[str | None] = mapped_column(ForeignKey("unions.code"))
    entries: Mapped[list | None] = mapped_column(JSONText())
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    superseded_reason: Mapped[str | None] = mapped_column(Text)
    # R39: the human-readable 证明编号 (typed on /verify), and the national fields as
    # issued — volunteer number, issuer (union, 负责人, 经办人, contact), evaluations.
    number: Mapped[str | None] = mapped_column(String(32), unique=True)
    volunteer_number: Mapped[str | None] = mapped_column(String(32))
    issuer: Mapped[dict | None] = mapped_column(JSONText())
    evaluations: Mapped[list | None] = mapped_column(JSONText())
