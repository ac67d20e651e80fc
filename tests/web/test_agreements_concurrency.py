"""R6 under concurrency: simultaneous requests against a real threaded server."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections import Counter

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from volunteer.agreements.models import Agreement
from volunteer.extensions import db

THREADS = 8


@pytest.fixture
def server(app):
    """Serve the test app on a free port in a background thread."""
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}/api/v1"
    srv.shutdown()
    thread.join(5)


def _token(api, user) -> str:
    return api(user).token


def _post_all(url: str, token: str, bodies: list[dict]) -> list[tuple[int, dict]]:
    """POST every body at the same moment, one thread each; return (status, json) per body."""
    # The test's own session must not hold SQLite's write lock (BEGIN IMMEDIATE) meanwhile.
    db.session.rollback()
    barrier = threading.Barrier(len(bodies))
    results: list[tuple[int, dict] | None] = [None] * len(bodies)

    def run(index: int, body: dict) -> None:
        request = urllib.request.Request(
            url,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
            method="POST",
        )
        barrier.wait()
        try:
            with urllib.request.urlopen(request, timeout=30) as resp:
                results[index] = (resp.status, json.loads(resp.read()))
        except urllib.error.HTTPError as err:
            results[index] = (err.code, json.loads(err.read() or b"{}"))

    threads = [threading.Thread(target=run, args=(i, b)) for i, b in enumerate(bodies)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert all(r is not None for r in results)
    return results  # type: ignore[return-value]


def test_last_capacity_slot_goes_to_exactly_one(
    world, api, server, make_enterprise, make_student, make_agreement, frozen
):
    frozen("2026-11-28 09:00")
    ent = make_enterprise("XA", capacity=3)
    for _ in range(2):  # two places taken: one left
        make_agreement(make_student("XA"), ent, "2027-01-01", "2027-06-30")
    students = [make_student("XA") for _ in range(THREADS)]
    bodies = [
        {
            "student_id": s.id,
            "enterprise_id": ent.id,
            "starts_on": "2027-03-01",
            "ends_on": "2027-03-31",
        }
        for s in students
    ]
    results = _post_all(server + "/agreements", _token(api, world.xa_staff), bodies)
    statuses = Counter(status for status, _ in results)
    assert statuses[201] == 1, results
    assert statuses[409] == THREADS - 1, results
    codes = {body["error"]["code"] for status, body in results if status == 409}
    assert codes <= {"capacity_full", "conflict"}
    db.session.expire_all()
    count = db.session.scalar(select(func.count()).where(Agreement.enterprise_id == ent.id))
    assert count == 3


def test_one_student_many_enterprises_never_overlaps(
    world, api, server, make_enterprise, make_student, frozen
):
    frozen("2026-11-28 09:00")
    student = make_student("XA")
    ents = [make_enterprise("XA") for _ in range(THREADS)]
    bodies = [
        {
            "student_id": student.id,
            "enterprise_id": e.id,
            "starts_on": "2027-03-01",
            "ends_on": "2027-03-31",
        }
        for e in ents
    ]
    results = _post_all(server + "/agreements", _token(api, world.xa_staff), bodies)
    statuses = Counter(status for status, _ in results)
    assert statuses[201] == 1 and statuses[409] == THREADS - 1, results
    codes = {body["error"]["code"] for status, body in results if status == 409}
    assert codes <= {"agreement_overlap", "conflict"}
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).where(Agreement.student_id == student.id)) == 1
