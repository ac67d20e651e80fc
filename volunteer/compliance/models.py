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


# Byte order on PostgreSQL, whose default collation would not sort "/SX/XA/" prefixes
# together: a union's subtree is then one range of the (month, union_path) index.
_PATH = String(400).with_variant(String(400, collation="C"), "postgresql")


class StudentMonthFigure(db.Model):
    """The read model: a student's figures for a month, kept current in the transaction
    of every change that moves them (compliance/readmodel.py). A student-month without a
    row has no requirement, no minutes, no exemption and no agreement: all zero."""

    __tablename__ = "student_month_figures"
    __table_args__ = (
        # A union subtree's month is one range; the 12-month chart counts met and required
        # rows from the index alone (PostgreSQL), never reading the wide rows.
        Index(
            "ix_student_month_figures_month_path",
            "month",
            "union_path",
            postgresql_include=["required_minutes", "confirmed_minutes"],
        ),
    )

    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    union_code: Mapped[str] = mapped_column(String(32))
    union_path: Mapped[str] = mapped_column(_PATH)
    gross_minutes: Mapped[int] = mapped_column(default=0)
    required_minutes: Mapped[int] = mapped_column(default=0)
    confirmed_minutes: Mapped[int] = mapped_column(default=0)
    pending_minutes: Mapped[int] = mapped_column(default=0)
    exempt_minutes: Mapped[int] = mapped_column(default=0)
    # Under a union that closed the month (the figures are then the stored ones, R21).
    closed: Mapped[bool] = mapped_column(default=False)
    # The enterprises of the signed agreements in the month, "12" or "12,57".
    enterprise_ids: Mapped[str] = mapped_column(String(200), default="")
    # Allowed days left from each day of the month to its end, two digits per day
    # ("2422…"): "at risk" needs them for today, which only the read knows (R19).
    days_left: Mapped[str] = mapped_column(String(62), default="")
