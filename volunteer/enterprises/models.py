"""Partner (caring) enterprises and their sites."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..dbtypes import UTCDateTime
from ..extensions import db


class Enterprise(db.Model):
    """A partner enterprise registered by a union."""

    __tablename__ = "enterprises"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    union_code: Mapped[str] = mapped_column(ForeignKey("unions.code"), index=True)
    city: Mapped[str | None] = mapped_column(String(50), index=True)
    industry: Mapped[str | None] = mapped_column(String(50))
    address: Mapped[str | None] = mapped_column(String(200))
    capacity: Mapped[int] = mapped_column(default=10)
    contact_name: Mapped[str | None] = mapped_column(String(50))
    contact_phone: Mapped[str | None] = mapped_column(String(11))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    def to_dict(self) -> dict:
        """Serialise as the API's Enterprise object."""
        return {
            "id": self.id,
            "name": self.name,
            "credit_code": self.credit_code,
            "union_code": self.union_code,
            "city": self.city,
            "industry": self.industry,
            "address": self.address,
            "capacity": self.capacity,
            "contact_name": self.contact_name,
            "contact_phone": self.contact_phone,
        }


class Site(db.Model):
    """A place of an enterprise where its QR code is shown."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    address: Mapped[str | None] = mapped_column(String(200))
    latitude: Mapped[float | None] = mapped_column()
    longitude: Mapped[float | None] = mapped_column()
    radius_m: Mapped[int | None] = mapped_column()
    is_active: Mapped[bool] = mapped_column(default=True)
    secret: Mapped[str] = mapped_column(String(64))
    secret_rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    def to_dict(self) -> dict:
        """Serialise as the API's Site object (never the secret)."""
        return {
            "id": self.id,
            "enterprise_id": self.enterprise_id,
            "name": self.name,
            "address": self.address,
            "latitude": self.latitude,
            "longitude": self.longitude,
            "radius_m": self.radius_m,
            "is_active": self.is_active,
        }
