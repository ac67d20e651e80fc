"""Jobs on a real queue: RQ on this machine's Redis, worked by a real (burst) worker."""

from __future__ import annotations

import socket
import uuid

import pytest

from volunteer.jobs import report_progress

REDIS_URL = "redis://127.0.0.1:6379/13"


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not _redis_up(), reason="needs Redis on 127.0.0.1:6379")


def slow_sum(values: list[int]) -> dict:
    from volunteer.extensions import db
    from volunteer.jobs.models import Job

    seen = []
    for i, _ in enumerate(values):
        report_progress((i + 1) / len(values))
        seen.append(db.session.query(Job.progress).scalar())
    return {"sum": sum(values), "progress_seen": max(seen)}


@pytest.fixture
def queued_app(app_factory):
    app = app_factory(JOB_QUEUE_URL=REDIS_URL, JOB_QUEUE_NAME=f"test-{uuid.uuid4().hex[:8]}")
    with app.app_context():
        yield app


def _work(app) -> None:
    from redis import Redis
    from rq import Queue, SimpleWorker

    conn = Redis.from_url(REDIS_URL)
    queue = Queue(app.config["JOB_QUEUE_NAME"], connection=conn)
    SimpleWorker([queue], connection=conn).work(burst=True, with_scheduler=False)
    queue.delete(delete_jobs=True)


def test_a_queued_job_waits_for_the_worker_then_reports_its_result(queued_app):
    from volunteer.auth.services import new_user
    from volunteer.extensions import db
    from volunteer.jobs import enqueue
    from volunteer.jobs.models import Job
    from volunteer.unions.services import create_union

    create_union(None, "SX", "陕西", None)
    owner = new_user(
        None,
        username="queue_owner",
        password="Passw0rd-Test",
        name="甲",
        role="union_staff",
        union_code="SX",
    )
    db.session.commit()
    job = enqueue("sample", slow_sum, [1, 2, 3, 4], owner=owner)
    assert job.status == "queued"
    _work(queued_app)
    db.session.expire_all()
    done = db.session.get(Job, job.id)
    assert done.status == "done", done.error
    assert done.result["sum"] == 10
    assert done.progress == 1.0
    if db.engine.dialect.name == "postgresql":  # SQLite's single writer lock skips them
        assert done.result["progress_seen"] >= 0.5  # written while the job still ran
    assert done.started_at is not None and done.finished_at is not None


def test_an_unreachable_queue_fails_the_job_instead_of_the_request(app_factory):
    from volunteer.jobs import enqueue

    app = app_factory(JOB_QUEUE_URL="redis://127.0.0.1:1/0")
    with app.app_context():
        job = enqueue("sample", slow_sum, [1])
        assert job.status == "failed"
        assert "队列" in job.error


def test_a_thousand_student_import_runs_on_the_worker(queued_app):
    import io
    import time

    from sqlalchemy import func, select

    from tests.student_data import csv_file, import_row
    from volunteer.auth.services import new_user
    from volunteer.extensions import db
    from volunteer.students.models import Student
    from volunteer.unions.services import create_union

    create_union(None, "SX", "陕西", None)
    create_union(None, "XA", "西安", "SX")
    new_user(
        None,
        username="importer",
        password="Passw0rd-Test",
        name="乙",
        role="union_staff",
        union_code="SX",
        initial=False,
    )
    db.session.commit()
    queued_app.config["IMPORT_SYNC_HASHES"] = 50
    rows = [import_row(i, password=f"Initial-{i:04d}") for i in range(1, 1001)]
    client = queued_app.test_client()
    token = client.post(
        "/api/v1/tokens", json={"username": "importer", "password": "Passw0rd-Test"}
    ).get_json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    started = time.perf_counter()
    resp = client.post(
        "/api/v1/students/import",
        data={"file": (io.BytesIO(csv_file(rows)), "名单.csv")},
        content_type="multipart/form-data",
        headers=auth,
    )
    request_seconds = time.perf_counter() - started
    assert resp.status_code == 202, resp.get_json()
    assert request_seconds < 10
    job_id = resp.get_json()["job"]["id"]
    assert client.get(f"/api/v1/jobs/{job_id}", headers=auth).get_json()["status"] == "queued"
    _work(queued_app)
    done = client.get(f"/api/v1/jobs/{job_id}", headers=auth).get_json()
    assert done["status"] == "done", done
    assert done["result"]["created"] == 1000
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Student)) == 1000
