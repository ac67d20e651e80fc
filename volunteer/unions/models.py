"""Union organisations: a tree identified by codes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, false
from sqlalchemy.orm import Mapped, mapped_column

from ..dbtypes import UTCDateTime
from ..extensions import db


class Union(db.Model):
    """A node of the union hierarchy (province → city → grassroots)."""

    __tablename__ = "unions"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    parent_code: Mapped[str | None] = mapped_column(
        ForeignKey("unions.code"), index=True, default=None
    )
    # "/SX/XA/": the codes from the root down, so a subtree is one prefix match.
    path: Mapped[str] = mapped_column(String(400), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The issuer's fields of a certificate (R39): 负责人 and a contact line.
    leader_name: Mapped[str | None] = mapped_column(String(50))
    contact: Mapped[str | None] = mapped_column(String(100))
    # R37: refuse check-ins on days the agreement's insurance does not cover.
    require_insurance: Mapped[bool] = mapped_column(default=False, server_default=false())

    @property
    def is_root(self) -> bool:
        """Return whether this union has no parent."""
        return self.parent_code is None

    def to_dict(self) -> dict:
        """Serialise as the API's Union object."""
        return {"code": self.code, "name": self.name, "parent_code": self.parent_code}


class UnionSeal(db.Model):
    """A union's seal image (PNG), printed on the certificates it issues (R39)."""

    __tablename__ = "union_seals"

    union_code: Mapped[str] = mapped_column(ForeignKey("unions.code"), primary_key=True)
    png: Mapped[bytes] = mapped_column(LargeBinary)
    width: Mapped[int] = mapped_column()
    height: Mapped[int] = mapped_column()
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
