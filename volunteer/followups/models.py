"""Follow-up cases (帮扶跟进) opened at month close for students who missed it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..dbtypes import UTCDateTime
from ..extensions import db


class FollowUp(db.Model):
    """A case about one student's missed month, owned by the student's union."""

    __tablename__ = "followups"
    __table_args__ = (
        UniqueConstraint("student_id", "month", name="uq_followups_student_month"),
        Index("ix_followups_union_status", "union_code", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"))
    union_code: Mapped[str] = mapped_column(ForeignKey("unions.code"))
    month: Mapped[str] = mapped_column(String(7), index=True)
    status: Mapped[str] = mapped_column(String(12))  # open|contacted|escalated|resolved
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    outcome: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class FollowUpNote(db.Model):
    """A note on a case: a contact made, what was said, how it was resolved."""

    __tablename__ = "followup_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    followup_id: Mapped[int] = mapped_column(ForeignKey("followups.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
