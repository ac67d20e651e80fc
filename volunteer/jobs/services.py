"""Start jobs, run them (inline or on RQ), report their progress, read them (R36).

How another feature runs work in the background::

    from volunteer.jobs import enqueue, report_progress

    def send_delivery(delivery_id: int) -> dict:      # module level, plain arguments
        ...                                            # commits its own work
        report_progress(0.5)                           # optional, 0..1
        return {"sent": 1}                             # JSON-able: the job's result

    job = enqueue("delivery", send_delivery, delivery.id, owner=None)

A job that makes a file returns `FileResult(name, data, result)`: the file is kept with the
job and its page offers the download.

`enqueue` commits the session (the Job row must exist before a worker can see it), so
call it after your use case has committed. Without `JOB_QUEUE_URL` the function runs at
once, inside the caller's request or command, and the returned Job is already finished.
"""

from __future__ import annotations

import contextlib
import contextvars
import importlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import update

from .. import clock
from ..errors import N_, DomainError, NotFound
from ..extensions import db
from ..logs import log_unexpected
from .models import Job

log = logging.getLogger(__name__)

# (job id, runs inline, monotonic time of the last write, last fraction written)
_running: contextvars.ContextVar[list[Any] | None] = contextvars.ContextVar(
    "volunteer_job", default=None
)
_worker_app: Flask | None = None


@dataclass
class FileResult:
    """What a job returns when it made a file: its name, its bytes and the JSON result."""

    name: str
    data: bytes
    result: dict[str, Any] = field(default_factory=dict)


def has_queue() -> bool:
    """Return whether jobs go to a real queue (JOB_QUEUE_URL set) rather than run inline."""
    return bool(current_app.config.get("JOB_QUEUE_URL"))


def enqueue(
    kind: str, func: Callable[..., Any], *args: Any, owner: Any = None, **kwargs: Any
) -> Job:
    """Record a job running `func(*args, **kwargs)` and queue it (inline: run it now); commits.

    `func` must be importable by name (a module-level function); arguments must be plain
    values (ids, strings, lists, dicts). `owner` is the User (or user id) who may see it.
    """
    owner_id = getattr(owner, "id", owner)
    job = Job(
        id=uuid.uuid4().hex,
        kind=kind,
        owner_id=owner_id,
        status="queued",
        progress=0.0,
        created_at=clock.now(),
    )
    db.session.add(job)
    db.session.commit()
    target = f"{func.__module__}:{func.__qualname__}"
    if not has_queue():
        execute(job.id, target, list(args), kwargs, inline=True)
        db.session.refresh(job)
        return job
    from rq import Callback

    try:
        _queue().enqueue(
            execute,
            job.id,
            target,
            list(args),
            kwargs,
            job_id=job.id,
            on_failure=Callback(on_worker_failure),
            job_timeout=current_app.config["JOB_TIMEOUT"],
            result_ttl=3600,
            failure_ttl=86400,
        )
    except Exception as exc:  # the queue (Redis) is down: say so on the job, never a 500
        log.warning("job queue unreachable, job %s not queued: %s", job.id, type(exc).__name__)
        job.status = "failed"
        job.error = N_("后台任务队列暂不可用，请稍后重试。")
        job.finished_at = clock.now()
        db.session.commit()
    return job


def _queue() -> Any:
    from redis import Redis
    from rq import Queue

    conn = Redis.from_url(current_app.config["JOB_QUEUE_URL"], socket_connect_timeout=2)
    return Queue(current_app.config["JOB_QUEUE_NAME"], connection=conn)


def report_progress(fraction: float) -> None:
    """Note how far the running job is (0..1); does nothing outside a job.

    Written through its own short transaction, so the job's own (uncommitted) work is not
    committed with it; at most a few writes a second.
    """
    state = _running.get()
    if state is None or state[1]:
        return  # inline: nobody can look before it has finished
    fraction = min(max(float(fraction), 0.0), 1.0)
    now = time.monotonic()
    if now - state[2] < 0.5 and fraction - state[3] < 0.05:
        return
    state[2], state[3] = now, fraction
    try:
        with db.engine.connect() as conn:
            sqlite = conn.dialect.name == "sqlite"
            if sqlite:
                # The job's own transaction may hold SQLite's only write lock: skip, not wait
                # (set on the driver's connection, before BEGIN IMMEDIATE would wait).
                conn.connection.driver_connection.execute("PRAGMA busy_timeout=0")
            try:
                conn.execute(update(Job).where(Job.id == state[0]).values(progress=fraction))
                conn.commit()
            finally:
                if sqlite:
                    conn.rollback()
                    conn.connection.driver_connection.execute("PRAGMA busy_timeout=10000")
    except Exception:  # progress is a courtesy: the work goes on
        log.debug("progress of job %s not written", state[0])


_app_factory: Callable[[], Any] | None = None


def use_app_factory(factory: Callable[[], Any]) -> None:
    """Name the application factory a worker process builds its app with (the composition
    root passes it in, so this core module never imports the features above it)."""
    global _app_factory
    _app_factory = factory


def execute(
    job_id: str, target: str, args: list[Any], kwargs: dict[str, Any], inline: bool = False
) -> Any:
    """Run a recorded job (the function RQ calls); the app is built once per worker process."""
    if inline:
        return _execute(job_id, target, args, kwargs, inline)
    with _worker_context():
        try:
            return _execute(job_id, target, args, kwargs, inline)
        finally:
            # The next job starts a fresh transaction (the session's objects are weakly held).
            db.session.rollback()


def _worker_context() -> Any:
    """Return the app context a worker runs jobs in (`flask worker` already has one)."""
    if has_app_context():
        return contextlib.nullcontext()
    global _worker_app
    if _worker_app is None:
        if _app_factory is None:
            raise RuntimeError("jobs run under `flask worker` (create_app names the factory)")
        _worker_app = _app_factory()
    return _worker_app.app_context()


def on_worker_failure(rq_job: Any, connection: Any, *exc_info: Any) -> None:
    """RQ's failure callback (a timeout, a killed worker): the Job row says failed too."""
    with _worker_context():
        db.session.rollback()
        job = db.session.get(Job, rq_job.id)
        if job is not None and not job.is_finished:
            _finish(job.id, "failed", error=N_("任务执行出错，请稍后重试或联系管理员。"))


def _resolve(target: str) -> Callable[..., Any]:
    module, _, name = target.partition(":")
    obj: Any = importlib.import_module(module)
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def _execute(
    job_id: str, target: str, args: list[Any], kwargs: dict[str, Any], inline: bool
) -> Any:
    job = db.session.get(Job, job_id)
    if job is None or job.is_finished:
        return None
    job.status, job.started_at = "running", clock.now()
    db.session.commit()
    token = _running.set([job_id, inline, 0.0, 0.0])
    try:
        result = _resolve(target)(*args, **kwargs)
    except DomainError as exc:
        db.session.rollback()
        _finish(job_id, "failed", result=_error_body(exc), error=exc.message)
    except Exception as exc:
        db.session.rollback()
        log_unexpected(log, f"job {job_id} ({target}) failed", exc)
        _finish(job_id, "failed", error=N_("任务执行出错，请稍后重试或联系管理员。"))
    else:
        if isinstance(result, FileResult):
            job = db.session.get(Job, job_id)
            job.file_name, job.file_data = result.name[:200], result.data
            result = {**result.result, "file_name": job.file_name}
        _finish(job_id, "done", result=result)
    finally:
        _running.reset(token)
    return None


def _error_body(exc: DomainError) -> dict[str, Any]:
    return exc.to_dict()["error"]


def _finish(job_id: str, status: str, *, result: Any = None, error: str | None = None) -> None:
    job = db.session.get(Job, job_id)
    job.status = status
    job.result = result
    job.error = error
    job.progress = 1.0 if status == "done" else job.progress
    job.finished_at = clock.now()
    db.session.commit()


FILE_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "pdf": "application/pdf",
    "zip": "application/zip",
}


def file_mimetype(name: str) -> str:
    """Return the content type of a job's file by its extension."""
    return FILE_TYPES.get(name.rsplit(".", 1)[-1].lower(), "application/octet-stream")


def job_file(actor: Any, job_id: str) -> tuple[str, bytes]:
    """Return the name and bytes of the file a finished job of the actor's own made."""
    job = get_job(actor, job_id)
    if job.status != "done" or job.file_data is None:
        raise NotFound()
    return job.file_name or "download", job.file_data


def get_job(actor: Any, job_id: str) -> Job:
    """Return a job of the actor's own; anyone else's (or none) is a 404."""
    job = db.session.get(Job, job_id[:32]) if job_id else None
    if job is None or actor is None or job.owner_id != actor.id:
        raise NotFound()
    return job
