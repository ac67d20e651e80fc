"""Imports too large for one request run as background jobs (R36; issue 13 item 8).

What makes an import slow is hashing each distinct initial password (scrypt: ~0.1 s
each); rows sharing a password share one hash. A file whose estimated cost fits in
`IMPORT_SYNC_SECONDS` is imported in the request. A larger one becomes a job when a
queue is configured, and is refused up front (400, with the number of rows that can be
imported at once) when it is not: no request ever runs into the server's timeout.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

from flask import current_app
from werkzeug.security import generate_password_hash

from ..auth.models import User
from ..errors import N_, NotFound, ValidationError
from ..extensions import db
from ..jobs import enqueue, has_queue, report_progress
from ..jobs.models import Job
from . import bulk_import, services

_hash_seconds: dict[str, float] = {}


@dataclass
class ImportOutcome:
    """Either the number of students created now, or the job that will create them."""

    created: int | None = None
    job: Job | None = None
    students: list[Any] | None = None  # those created now, for the one-time list of logins


def hash_seconds() -> float:
    """Return how long one password hash takes with the configured method (timed once)."""
    method = current_app.config["PASSWORD_HASH_METHOD"]
    if method not in _hash_seconds:
        start = time.perf_counter()
        generate_password_hash("timing-probe-1", method=method)
        _hash_seconds[method] = max(time.perf_counter() - start, 1e-4)
    return _hash_seconds[method]


def sync_hash_limit() -> int:
    """Return how many distinct passwords one request may hash (IMPORT_SYNC_HASHES or timed)."""
    configured = current_app.config.get("IMPORT_SYNC_HASHES")
    if configured:
        return int(configured)
    workers = max(1, min(os.cpu_count() or 1, bulk_import.MAX_HASH_WORKERS))
    budget = float(current_app.config["IMPORT_SYNC_SECONDS"])
    return max(1, int(budget * workers / hash_seconds()))


def fits_in_request(records: list[dict[str, Any]]) -> bool:
    """Return whether importing these records can finish well within one request."""
    distinct = len({r["password"] for r in records})
    return distinct <= sync_hash_limit() and len(records) <= current_app.config["IMPORT_SYNC_ROWS"]


def _too_large(records: list[dict[str, Any]]) -> ValidationError:
    limit = min(sync_hash_limit(), current_app.config["IMPORT_SYNC_ROWS"])
    message = N_(
        "文件共 %(rows)s 行，无法在一次请求内导入：每次最多导入 %(limit)s 行"
        "（各行初始密码不同时）。请拆分文件，或让同一批学生使用相同的初始密码。",
        rows=len(records),
        limit=limit,
    )
    return ValidationError(
        message, code="import_too_large", fields={"file": [message]}, extra={"max_rows": limit}
    )


def import_or_enqueue(actor: User, filename: str, data: bytes) -> ImportOutcome:
    """Check a class list now (400 import_invalid lists every bad row); import it now if it
    fits in the request, else start a job (or refuse with 400 import_too_large without a
    queue). Commits."""
    unions = bulk_import.allowed_unions(actor, None)
    records = bulk_import.check_upload(filename, data, unions, services.id_cipher())
    if fits_in_request(records):
        students = services.write_import(actor, filename, records, unions)
        return ImportOutcome(created=len(students), students=students)
    if not has_queue():
        raise _too_large(records)
    db.session.rollback()  # nothing written: end the checks' transaction before queueing
    job = enqueue("student_import", run_import, actor.id, filename, data, owner=actor)
    return ImportOutcome(job=job)


def run_import(actor_id: int, filename: str, data: bytes) -> dict[str, Any]:
    """The job: import the file as its uploader, reporting hashing progress."""
    actor = db.session.get(User, actor_id)
    if actor is None or not actor.is_enabled:
        raise NotFound()
    created = services.import_students(
        actor, filename, data, progress=lambda done, total: report_progress(done / total)
    )
    return {
        "created": len(created),
        "message": N_("导入成功：共登记 %(n)s 名学生。", n=len(created)),
        "link": current_app.url_map.bind("localhost").build("students.index"),
        "link_label": N_("查看学生名单"),
    }
