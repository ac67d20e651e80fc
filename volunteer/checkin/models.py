"""Service sessions, their per-month minutes, scan attempts, corrections and kiosks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from .. import clock
from ..dbtypes import JSONText, UTCDateTime
from ..extensions import db

SESSION_STATUSES = ("open", "pending", "confirmed", "rejected", "auto_closed")
FLAGS = (
    "poster",
    "location_unverified",
    "location_outside",
    "adjusted",
    "auto_closed",
    "manual",
    "offline",
    "uninsured",
)
CORRECTION_STATUSES = ("open", "accepted", "declined")


def _iso(value: datetime | None) -> str | None:
    return None if value is None else clock.to_local(value).isoformat(timespec="seconds")


UNINSURED_PREDICATE = "flags LIKE '%uninsured%'"


class ServiceSession(db.Model):
    """One check-in … check-out at a site: [check_in_at, check_out_at)."""

    __tablename__ = "service_sessions"
    __table_args__ = (
        # The database itself refuses a second open session for a student (R6/R10 races).
        Index(
            "uq_service_sessions_one_open",
            "student_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        Index("ix_service_sessions_student_in", "student_id", "check_in_at"),
        Index("ix_service_sessions_enterprise_in", "enterprise_id", "check_in_at"),
        Index("ix_service_sessions_status_in", "status", "check_in_at"),
        # The few uninsured sessions (R37), counted on the dashboard without reading the
        # month's sessions: a query naming this very predicate uses the index.
        Index(
            "ix_service_sessions_uninsured",
            "check_in_at",
            sqlite_where=text(UNINSURED_PREDICATE),
            postgresql_where=text(UNINSURED_PREDICATE),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), index=True)
    check_in_at: Mapped[datetime] = mapped_column(UTCDateTime())
    check_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(20), default="open")
    # Sorted, comma-separated: "adjusted,poster".
    flags: Mapped[str] = mapped_column(String(200), default="")
    reason: Mapped[str | None] = mapped_column(Text)
    minutes: Mapped[int] = mapped_column(default=0)
    distance_m: Mapped[float | None] = mapped_column()
    latitude: Mapped[float | None] = mapped_column()
    longitude: Mapped[float | None] = mapped_column()
    accuracy_m: Mapped[float | None] = mapped_column()
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    @property
    def flag_list(self) -> list[str]:
        """Return the flags as a list."""
        return [f for f in self.flags.split(",") if f]

    def to_dict(self) -> dict:
        """Serialise as the API's Session object (times in the business time zone)."""
        return {
            "id": self.id,
            "student_id": self.student_id,
            "enterprise_id": self.enterprise_id,
            "site_id": self.site_id,
            "agreement_id": self.agreement_id,
            "check_in_at": _iso(self.check_in_at),
            "check_out_at": _iso(self.check_out_at),
            "minutes": self.minutes,
            "status": self.status,
            "flags": self.flag_list,
            "reason": self.reason,
            "distance_m": None if self.distance_m is None else round(self.distance_m),
        }


class SessionMonth(db.Model):
    """A session's minutes inside one local month (R15), kept for grouped queries."""

    __tablename__ = "session_months"
    __table_args__ = (
        UniqueConstraint("session_id", "month", name="uq_session_months_session_month"),
        Index("ix_session_months_student_month", "student_id", "month", "status"),
        Index("ix_session_months_enterprise_month", "enterprise_id", "month", "status"),
        # Compliance for a union reads one month of every student: an index-only scan of
        # that month (bench/README.md), not a pass over every month's rows.
        Index("ix_session_months_month_student", "month", "student_id", "status", "minutes"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("service_sessions.id"))
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"))
    month: Mapped[str] = mapped_column(String(7))
    minutes: Mapped[int] = mapped_column()
    # A copy of the session's status, so that sums need no join.
    status: Mapped[str] = mapped_column(String(20))


class ScanAttempt(db.Model):
    """Every scan attempt, successful or not (R14)."""

    __tablename__ = "scan_attempts"
    __table_args__ = (
        Index("ix_scan_attempts_site_at", "site_id", "at"),
        Index("ix_scan_attempts_student_at", "student_id", "at"),
        # The shared-device check at each scan (R42) reads one device's last 30 days.
        Index("ix_scan_attempts_device_at", "device_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    student_id: Mapped[int | None] = mapped_column(ForeignKey("students.id"))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    action: Mapped[str] = mapped_column(String(20))
    result: Mapped[str] = mapped_column(String(40))
    token_kind: Mapped[str | None] = mapped_column(String(10))
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    location_verdict: Mapped[str | None] = mapped_column(String(30))
    distance_m: Mapped[float | None] = mapped_column()
    session_id: Mapped[int | None] = mapped_column(ForeignKey("service_sessions.id"))
    # The scan page's per-browser id (R42); purged with the coordinates (R28).
    device_id: Mapped[str | None] = mapped_column(String(64))


class TokenUse(db.Model):
    """A successful scan with a token step: the same step cannot serve twice (R11)."""

    __tablename__ = "token_uses"
    __table_args__ = (
        UniqueConstraint("student_id", "site_id", "step", name="uq_token_uses_student_site_step"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"))
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    step: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class ScanNonce(db.Model):
    """A one-time form nonce and the answer it produced (R10 idempotency)."""

    __tablename__ = "scan_nonces"
    __table_args__ = (UniqueConstraint("student_id", "nonce", name="uq_scan_nonces_student_nonce"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"))
    nonce: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column()
    body: Mapped[dict] = mapped_column(JSONText())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Correction(db.Model):
    """A student's request to correct one of their sessions (R16)."""

    __tablename__ = "corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("service_sessions.id"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    proposed_check_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    proposed_check_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    note: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="open")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    def to_dict(self) -> dict:
        """Serialise for the API."""
        return {
            "id": self.id,
            "session_id": self.session_id,
            "student_id": self.student_id,
            "enterprise_id": self.enterprise_id,
            "check_in_at": _iso(self.proposed_check_in_at),
            "check_out_at": _iso(self.proposed_check_out_at),
            "note": self.note,
            "status": self.status,
            "decision_note": self.decision_note,
            "created_at": _iso(self.created_at),
            "decided_at": _iso(self.decided_at),
        }


class Kiosk(db.Model):
    """A device activated by a one-time link to show one site's codes, revocable."""

    __tablename__ = "kiosks"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    label: Mapped[str] = mapped_column(String(100))
    activation_hash: Mapped[str] = mapped_column(String(64), unique=True)
    device_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Written at most once a minute by the kiosk's polling, so staff can see it is alive.
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def state(self) -> str:
        """Return "revoked", "active" or "waiting" (not yet activated)."""
        if self.revoked_at is not None:
            return "revoked"
        return "active" if self.activated_at is not None else "waiting"
