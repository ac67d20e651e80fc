"""Concurrent scans by one student against a real threaded server: exactly one open
session, the others 409, never 500 (SPEC §5) — on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections import Counter

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from tests.checkin_support import code
from tests.conftest import PASSWORD
from volunteer.checkin.models import ScanAttempt, ServiceSession
from volunteer.extensions import db

THREADS = 12


@pytest.fixture
def server(app_factory):
    """Serve a fresh app on 127.0.0.1 in a thread; yield its base URL."""
    app = app_factory()
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    thread.join(5)


def post(url, body, token=None):
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            **({"Authorization": f"Bearer {token}"} if token else {}),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def race(base, bearer, bodies):
    """POST every body to /scan at once; return [(status, json)]."""
    results = [None] * len(bodies)
    barrier = threading.Barrier(len(bodies))

    def worker(i):
        barrier.wait()
        results[i] = post(base + "/api/v1/scan", bodies[i], bearer)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


@pytest.fixture
def ready(world, frozen, server):
    frozen("2026-11-28 09:00")
    token = code(world.site_xa)
    db.session.commit()  # release the test's own transaction before the server writes
    status, body = post(server + "/api/v1/tokens", {"username": "stu_xa", "password": PASSWORD})
    assert status == 201
    return server, body["token"], token


def test_concurrent_check_ins_make_one_session(world, ready):
    base, bearer, token = ready
    bodies = [{"token": token, "action": "check_in"} for _ in range(THREADS)]
    results = race(base, bearer, bodies)
    statuses = Counter(status for status, _ in results)
    assert statuses[201] == 1, results
    assert statuses[409] == THREADS - 1, results
    codes = {body["error"]["code"] for status, body in results if status == 409}
    assert codes <= {"already_checked_in", "token_reused", "conflict"}
    db.session.expire_all()
    assert (
        db.session.scalar(
            select(func.count(ServiceSession.id)).where(ServiceSession.status == "open")
        )
        == 1
    )
    # every attempt is in the log, winners and losers
    assert db.session.scalar(select(func.count(ScanAttempt.id))) == THREADS


def test_concurrent_double_tap_with_one_nonce(world, ready):
    base, bearer, token = ready
    bodies = [{"token": token, "action": "check_in", "nonce": "tap"} for _ in range(THREADS)]
    results = race(base, bearer, bodies)
    assert {status for status, _ in results} == {201}, results
    assert len({json.dumps(body, sort_keys=True) for _, body in results}) == 1
    db.session.expire_all()
    assert db.session.scalar(select(func.count(ServiceSession.id))) == 1
    assert db.session.scalar(select(func.count(ScanAttempt.id))) == 1


def test_concurrent_check_outs_close_once(world, ready):
    base, bearer, token = ready
    assert post(base + "/api/v1/scan", {"token": token, "action": "check_in"}, bearer)[0] == 201
    from tests.checkin_support import later

    later(minutes=45)
    fresh = code(world.site_xa)
    db.session.commit()
    results = race(base, bearer, [{"token": fresh, "action": "check_out"} for _ in range(THREADS)])
    statuses = Counter(status for status, _ in results)
    assert statuses[200] == 1 and statuses[409] == THREADS - 1, results
    db.session.expire_all()
    (session,) = db.session.scalars(select(ServiceSession)).all()
    assert session.status == "pending" and session.minutes == 45


def test_database_constraints_alone_hold_the_line(world, ready, monkeypatch):
    """Without the per-student lock, the partial unique index and the nonce key still
    turn every lost race into a 409 or the winner's answer, never a 500."""
    from volunteer.checkin import sessions

    monkeypatch.setattr(sessions, "lock_student", lambda student_id: None)
    base, bearer, token = ready
    bodies = [{"token": token, "action": "check_in", "nonce": f"n{i % 3}"} for i in range(THREADS)]
    results = race(base, bearer, bodies)
    statuses = Counter(status for status, _ in results)
    assert set(statuses) <= {201, 409}, results
    assert statuses[201] >= 1
    db.session.expire_all()
    assert (
        db.session.scalar(
            select(func.count(ServiceSession.id)).where(ServiceSession.status == "open")
        )
        == 1
    )
