"""Two app servers behave as one: the login limit counts across both (Redis), and one
student's scans spread across both make exactly one open session (PostgreSQL locks)."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from urllib.error import HTTPError
from urllib.request import Request, urlopen

from sqlalchemy import select

from tests.conftest import PASSWORD
from tests.system.conftest import needs_pg_and_redis
from volunteer import clock
from volunteer.checkin import tokens
from volunteer.checkin.models import ServiceSession
from volunteer.extensions import db

RACERS = 8


def post(url: str, body: dict, token: str | None = None) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = Request(url, data=json.dumps(body).encode(), headers=headers, method="POST")
    try:
        with urlopen(req, timeout=10) as resp:  # noqa: S310
            raw = resp.read()
            return resp.status, json.loads(raw) if raw else {}
    except HTTPError as exc:
        raw = exc.read()
        return exc.code, json.loads(raw) if raw else {}


@needs_pg_and_redis
def test_login_limit_counts_across_servers(cluster):
    c = cluster(LOGIN_LIMIT="4")
    codes = []
    for i in range(6):
        url = c.urls[i % 2] + "/api/v1/tokens"
        codes.append(post(url, {"username": "ghost-user", "password": "wrong-pass"})[0])
    assert codes[:4] == [401, 401, 401, 401]
    assert codes[4:] == [429, 429]


def _rotating_token(site) -> str:
    """The site's current kiosk code, made as the kiosk makes it (real clock, site secret)."""
    return tokens.make_rotating_token(site.id, site.secret, tokens.step_at(clock.now()))


def _race(urls: list[str], path: str, body: dict, token: str) -> list[tuple[int, dict]]:
    """POST the same request from RACERS threads at once, alternating between servers."""
    start = threading.Barrier(RACERS)
    answers: list[tuple[int, dict]] = [(0, {})] * RACERS

    def run(i: int) -> None:
        start.wait()
        answers[i] = post(urls[i % len(urls)] + path, body, token)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(RACERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return answers


def _wait_for_next_step() -> None:
    """Sleep into the next 30-second step: a step serves one successful scan (R11)."""
    step = tokens.step_at(clock.now())
    while tokens.step_at(clock.now()) == step:
        time.sleep(0.2)


@needs_pg_and_redis
def test_concurrent_scans_across_servers_make_one_session(
    cluster, world, make_student, make_agreement
):
    # An internship allows every day, so the test runs on any day of the real calendar.
    today = clock.today()
    student = make_student("XA", "并发测试", username="racer")
    make_agreement(
        student,
        world.ent_xa,
        str(today - timedelta(days=7)),
        str(today + timedelta(days=60)),
        kind="internship",
        monthly_hours=0,
    )
    site = world.site_xa
    c = cluster()
    status, issued = post(c.urls[1] + "/api/v1/tokens", {"username": "racer", "password": PASSWORD})
    assert status == 201, issued
    bearer = issued["token"]

    answers = _race(
        c.urls, "/api/v1/scan", {"token": _rotating_token(site), "action": "check_in"}, bearer
    )
    statuses = sorted(status for status, _ in answers)
    assert statuses == [201] + [409] * (RACERS - 1), answers
    refused = {body["error"]["code"] for status, body in answers if status == 409}
    assert refused <= {"already_checked_in", "token_reused", "conflict"}, answers
    db.session.expire_all()
    open_sessions = db.session.scalars(
        select(ServiceSession).where(ServiceSession.student_id == student.id)
    ).all()
    assert [s.status for s in open_sessions] == ["open"]

    _wait_for_next_step()
    answers = _race(
        c.urls, "/api/v1/scan", {"token": _rotating_token(site), "action": "check_out"}, bearer
    )
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] + [409] * (RACERS - 1), answers
    refused = {body["error"]["code"] for status, body in answers if status == 409}
    assert refused <= {"not_checked_in", "token_reused", "conflict"}, answers
    db.session.expire_all()
    sessions = db.session.scalars(
        select(ServiceSession).where(ServiceSession.student_id == student.id)
    ).all()
    assert [s.status for s in sessions] == ["pending"]
