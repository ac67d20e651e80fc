"""Jobs: long work that runs in the background (R36)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column

from ..dbtypes import JSONText, UTCDateTime
from ..extensions import db

JOB_STATUSES = ("queued", "running", "done", "failed")


class Job(db.Model):
    """One piece of background work, its progress and its result."""

    __tablename__ = "jobs"

    # A random hex id: it is also the RQ job id, and it is not guessable.
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    progress: Mapped[float] = mapped_column(default=0.0)
    result: Mapped[Any] = mapped_column(JSONText(), nullable=True)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A file the job made (an export): kept with the job, since the worker that made it and
    # the app server that hands it out need not share a disk. Loaded only when downloaded.
    file_name: Mapped[str | None] = mapped_column(String(200))
    file_data: Mapped[bytes | None] = deferred(mapped_column(LargeBinary()))

    @property
    def is_finished(self) -> bool:
        return self.status in ("done", "failed")

    def to_dict(self) -> dict[str, Any]:
        """Return the API's Job object."""
        return {
            "id": self.id,
            "kind": self.kind,
            "status": self.status,
            "progress": round(self.progress or 0.0, 4),
            "result": self.result,
            "error": self.error,
        }
