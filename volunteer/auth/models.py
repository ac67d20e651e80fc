"""Accounts and API tokens."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..dbtypes import UTCDateTime
from ..extensions import db

ROLES = ("union_staff", "enterprise_staff", "student")


class User(UserMixin, db.Model):
    """A person who logs in: union staff, enterprise staff or a student."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), index=True)
    name: Mapped[str] = mapped_column(String(100))
    # Where email notifications go (R34); optional, set on the preferences page.
    email: Mapped[str | None] = mapped_column(String(254))
    union_code: Mapped[str | None] = mapped_column(ForeignKey("unions.code"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True)
    student_id: Mapped[int | None] = mapped_column(
        ForeignKey("students.id"), index=True, unique=True
    )
    must_change_password: Mapped[bool] = mapped_column(default=True)
    is_enabled: Mapped[bool] = mapped_column(default=True)
    # Bumped on every password change: it revokes API tokens and browser sessions.
    password_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def get_id(self) -> str:
        """Bind the login session to the password version (a change logs others out)."""
        return f"{self.id}:{self.password_version}"

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.is_enabled

    def to_dict(self) -> dict:
        """Serialise as the API's User object."""
        return {
            "id": self.id,
            "username": self.username,
            "role": self.role,
            "name": self.name,
            "union_code": self.union_code,
            "enterprise_id": self.enterprise_id,
            "student_id": self.student_id,
            "must_change_password": self.must_change_password,
            "email": self.email,
        }


class ApiToken(db.Model):
    """A bearer token, stored as a SHA-256 hash."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    password_version: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
