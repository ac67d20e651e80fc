"""Province-wide dashboard exports as background jobs (R36).

A city's list is built within the request; a list over more than `EXPORT_SYNC_STUDENTS`
students (a province) is built by a worker when a queue is configured, and its page
offers the file once it is ready.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import func, select

from ..auth import scope
from ..auth.models import User
from ..errors import N_, NotFound
from ..extensions import db
from ..jobs import FileResult, enqueue, has_queue
from ..jobs.models import Job
from .pages import export_list


def _students_in_scope(actor: User) -> int:
    students = scope.managed_students(actor).subquery()
    return db.session.scalar(select(func.count()).select_from(students)) or 0


def export_or_enqueue(
    actor: User, month: str | None, which: str, **filters: Any
) -> tuple[str, bytes] | Job:
    """Return (filename, XLSX bytes) now, or the job that will make them (large scopes)."""
    limit = current_app.config["EXPORT_SYNC_STUDENTS"]
    if has_queue() and actor.role == "union_staff" and _students_in_scope(actor) > limit:
        db.session.rollback()
        return enqueue(
            "compliance_export", run_export, actor.id, month, which, filters, owner=actor
        )
    return export_list(actor, month, which, **filters)


def run_export(actor_id: int, month: str | None, which: str, filters: dict) -> FileResult:
    """The job: build the list as its requester (scope and audit as in the request)."""
    actor = db.session.get(User, actor_id)
    if actor is None or not actor.is_enabled:
        raise NotFound()
    name, data = export_list(actor, month, which, **filters)
    return FileResult(name, data, {"message": N_("文件已生成：%(name)s", name=name)})
