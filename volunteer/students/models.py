"""Aided students and their 金秋助学 aid records."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..dbtypes import UTCDateTime
from ..extensions import db

AID_CATEGORIES = ("regular", "key_university")


class Student(db.Model):
    """An aided student; the ID number is encrypted and reachable only by a keyed hash."""

    __tablename__ = "students"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), index=True)
    id_number_cipher: Mapped[str] = mapped_column(Text)
    id_key_id: Mapped[str] = mapped_column(String(16))
    id_number_hash: Mapped[str] = mapped_column(String(64), unique=True)
    id_number_masked: Mapped[str] = mapped_column(String(18))
    phone: Mapped[str] = mapped_column(String(11), index=True)
    university: Mapped[str] = mapped_column(String(100))
    university_city: Mapped[str | None] = mapped_column(String(50))
    major: Mapped[str | None] = mapped_column(String(100))
    enrollment_year: Mapped[int | None] = mapped_column()
    home_city: Mapped[str | None] = mapped_column(String(50))
    union_code: Mapped[str] = mapped_column(ForeignKey("unions.code"), index=True)
    family_hardship: Mapped[str | None] = mapped_column(Text)
    # 志愿者编号 in the national volunteer information system (R37).
    volunteer_number: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AidRecord(db.Model):
    """One 金秋助学 grant: year, amount (yuan), category."""

    __tablename__ = "aid_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), index=True)
    year: Mapped[int] = mapped_column()
    amount_yuan: Mapped[int] = mapped_column()
    category: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
