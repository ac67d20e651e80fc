"""A student's record beyond the hours (R38) and the national export's marks (R40)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..dbtypes import UTCDateTime
from ..extensions import db

RECORD_KINDS = ("training", "award")
EXPORT_STATUSES = ("exported", "changed")


class Evaluation(db.Model):
    """An enterprise's evaluation of a student it hosts, per agreement and month."""

    __tablename__ = "evaluations"
    __table_args__ = (
        UniqueConstraint("agreement_id", "month", name="uq_evaluations_agreement_month"),
        Index("ix_evaluations_student_month", "student_id", "month"),
        Index("ix_evaluations_enterprise_month", "enterprise_id", "month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"))
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    month: Mapped[str] = mapped_column(String(7))
    rating: Mapped[int] = mapped_column()
    comment: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    def to_dict(self) -> dict:
        """Serialise as the API's Evaluation object."""
        return {
            "id": self.id,
            "agreement_id": self.agreement_id,
            "student_id": self.student_id,
            "enterprise_id": self.enterprise_id,
            "month": self.month,
            "rating": self.rating,
            "comment": self.comment,
        }


class StudentRecord(db.Model):
    """A training or an award of a student, recorded by the student's union."""

    __tablename__ = "student_records"
    __table_args__ = (Index("ix_student_records_student_on", "student_id", "happened_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"))
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    happened_on: Mapped[date] = mapped_column()
    # Tenths of an hour: a training of 1.5 hours is 15.
    tenth_hours: Mapped[int | None] = mapped_column()
    issuer: Mapped[str | None] = mapped_column(String(100))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    def to_dict(self) -> dict:
        """Serialise as the API's Record object."""
        return {
            "id": self.id,
            "student_id": self.student_id,
            "kind": self.kind,
            "title": self.title,
            "on": self.happened_on.isoformat(),
            "hours": None if self.tenth_hours is None else self.tenth_hours / 10,
            "issuer": self.issuer,
        }


class ExportMark(db.Model):
    """One row of the national export (R40) as a union last exported it; `changed` once
    its figures moved afterwards, so that it is reported again."""

    __tablename__ = "export_marks"
    __table_args__ = (
        UniqueConstraint(
            "union_code", "month", "student_id", "enterprise_id", name="uq_export_marks_row"
        ),
        Index("ix_export_marks_student_month", "student_id", "month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    union_code: Mapped[str] = mapped_column(ForeignKey("unions.code"))
    month: Mapped[str] = mapped_column(String(7))
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    minutes: Mapped[int] = mapped_column()
    first_day: Mapped[date | None] = mapped_column()
    last_day: Mapped[date | None] = mapped_column()
    status: Mapped[str] = mapped_column(String(20), default="exported")
    exported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
