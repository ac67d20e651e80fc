"""Agreements between a student and an enterprise (R5)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..dbtypes import UTCDateTime
from ..extensions import db


class Agreement(db.Model):
    """Student × enterprise, a kind, a date range and monthly hours; status is derived."""

    __tablename__ = "agreements"
    __table_args__ = (
        Index("ix_agreements_student_dates", "student_id", "starts_on", "ends_on"),
        Index("ix_agreements_enterprise_dates", "enterprise_id", "starts_on", "ends_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    kind: Mapped[str] = mapped_column(String(20), default="volunteer")
    starts_on: Mapped[date] = mapped_column()
    ends_on: Mapped[date] = mapped_column()
    monthly_hours: Mapped[int] = mapped_column(default=24)
    allow_workdays: Mapped[bool] = mapped_column(default=False)
    student_signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    enterprise_signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paper_signed_on: Mapped[date | None] = mapped_column()
    # The first day the agreement no longer covers (termination's effective date).
    terminated_on: Mapped[date | None] = mapped_column()
    termination_reason: Mapped[str | None] = mapped_column(Text)
    terminated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The terms 《志愿服务条例》art. 14 names, and accident insurance (art. 17, R37).
    service_content: Mapped[str | None] = mapped_column(Text)
    safety_measures: Mapped[str | None] = mapped_column(Text)
    insurer: Mapped[str | None] = mapped_column(String(100))
    policy_number: Mapped[str | None] = mapped_column(String(64))
    insured_from: Mapped[date | None] = mapped_column()
    insured_to: Mapped[date | None] = mapped_column()

    def is_insured_on(self, day: date) -> bool:
        """Tell whether the agreement's accident insurance covers `day` (R37)."""
        from .rules import insured_on

        return insured_on(self.insured_from, self.insured_to, day)

    def status_on(self, today: date) -> str:
        """Return the lifecycle status on a local date (R5: derived, never stored)."""
        from .rules import agreement_status

        return agreement_status(
            starts_on=self.starts_on,
            ends_on=self.ends_on,
            student_signed_at=self.student_signed_at,
            enterprise_signed_at=self.enterprise_signed_at,
            paper_signed_on=self.paper_signed_on,
            terminated_on=self.terminated_on,
            today=today,
        )

    def to_dict(self, today: date | None = None) -> dict:
        """Serialise as the API's Agreement object, the status derived on `today`."""
        from .. import clock

        return {
            "id": self.id,
            "student_id": self.student_id,
            "enterprise_id": self.enterprise_id,
            "kind": self.kind,
            "starts_on": self.starts_on.isoformat(),
            "ends_on": self.ends_on.isoformat(),
            "monthly_hours": self.monthly_hours,
            "allow_workdays": self.allow_workdays,
            "status": self.status_on(today or clock.today()),
            "student_signed_at": _local_iso(self.student_signed_at),
            "enterprise_signed_at": _local_iso(self.enterprise_signed_at),
            "paper_signed_on": self.paper_signed_on.isoformat() if self.paper_signed_on else None,
            "terminated_on": self.terminated_on.isoformat() if self.terminated_on else None,
            "termination_reason": self.termination_reason,
            **self.terms_dict(),
        }

    def terms_dict(self) -> dict:
        """Return the terms and insurance fields (R37) as the API shows them."""
        return {
            "service_content": self.service_content,
            "safety_measures": self.safety_measures,
            "insurer": self.insurer,
            "policy_number": self.policy_number,
            "insured_from": self.insured_from.isoformat() if self.insured_from else None,
            "insured_to": self.insured_to.isoformat() if self.insured_to else None,
        }

    @property
    def last_day(self) -> date:
        """Return the last day this agreement covers, termination included."""
        from .rules import effective_end

        return effective_end(self.ends_on, self.terminated_on)


def _local_iso(value: datetime | None) -> str | None:
    from .. import clock

    return clock.to_local(value).isoformat() if value is not None else None
