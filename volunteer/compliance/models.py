"""Exemptions and the month figures stored when a month is closed (R18, R21)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..dbtypes import UTCDateTime
from ..extensions import db


class Exemption(db.Model):
    """An approved reduction of a student's requirement for a month."""

    __tablename__ = "exemptions"
    __table_args__ = (Index("ix_exemptions_student_month", "student_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"))
    month: Mapped[str] = mapped_column(String(7), index=True)
    # None: the whole requirement of the month.
    minutes: Mapped[int | None] = mapped_column()
    reason: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class MonthFigure(db.Model):
    """A student's figures for a month, stored when the month is closed."""

    __tablename__ = "month_figures"
    __table_args__ = (
        UniqueConstraint("student_id", "month", name="uq_month_figures_student_month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"))
    month: Mapped[str] = mapped_column(String(7), index=True)
    union_code: Mapped[str] = mapped_column(ForeignKey("unions.code"), index=True)
    gross_minutes: Mapped[int] = mapped_column()
    required_minutes: Mapped[int] = mapped_column()
    confirmed_minutes: Mapped[int] = mapped_column()
    pending_minutes: Mapped[int] = mapped_column()
    exempt_minutes: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(String(30))
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime())
