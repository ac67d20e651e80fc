"""R13 without a write hidden in a read: reads apply it uncommitted, writers in their own
transaction for the students they touch, the CLI sweep for the province; each close is
announced once through events.session_auto_closed."""

from __future__ import annotations

import pytest

from tests.checkin_support import later, scan
from volunteer import events
from volunteer.checkin import sessions
from volunteer.checkin.models import ServiceSession
from volunteer.extensions import db


@pytest.fixture
def saturday(frozen):
    return frozen("2026-11-28 09:00")


@pytest.fixture
def closed_events():
    heard = []

    def listen(sender, **kwargs):
        heard.append((sender, kwargs))

    events.session_auto_closed.connect(listen)
    yield heard
    events.session_auto_closed.disconnect(listen)


def _status(session_id: int) -> str:
    db.session.expire_all()
    return db.session.get(ServiceSession, session_id).status


def test_reading_a_stale_session_shows_r13_but_commits_nothing(world, api, saturday):
    stu = api(world.stu_xa_user)
    opened = scan(stu, world.site_xa).get_json()["session"]
    later(hours=13)
    assert stu.get(f"/sessions/{opened['id']}").get_json()["status"] == "auto_closed"
    assert stu.get("/sessions").get_json()["items"][0]["status"] == "auto_closed"
    db.session.rollback()  # what the read did is only in its own transaction
    assert _status(opened["id"]) == "open"


def test_the_cli_sweep_stores_r13_and_announces_each_close(
    world, api, app, saturday, closed_events
):
    first = scan(api(world.stu_xa_user), world.site_xa).get_json()["session"]
    second = scan(api(world.stu_tc_user), world.site_tc).get_json()["session"]
    later(hours=12)
    result = app.test_cli_runner().invoke(args=["close-stale-sessions"])
    assert "auto-closed 2" in result.output
    db.session.rollback()
    assert _status(first["id"]) == _status(second["id"]) == "auto_closed"
    heard = sorted(closed_events)
    assert heard == [
        (first["id"], {"student_id": world.stu_xa.id, "enterprise_id": world.ent_xa.id}),
        (second["id"], {"student_id": world.stu_tc.id, "enterprise_id": world.ent_tc.id}),
    ]


def test_a_writer_applies_r13_only_to_the_student_it_touches(world, api, saturday):
    mine = scan(api(world.stu_xa_user), world.site_xa).get_json()["session"]
    other = scan(api(world.stu_tc_user), world.site_tc).get_json()["session"]
    later(hours=13)
    resp = api(world.ent_xa_staff).post(f"/sessions/{mine['id']}/confirm")
    assert resp.status_code == 409  # auto-closed sessions are adjusted, not confirmed
    db.session.rollback()
    assert _status(mine["id"]) == "open"  # a refused use case writes nothing
    assert _status(other["id"]) == "open"
    assert sessions.close_stale(sessions.clock.now(), student_ids=[world.stu_xa.id]) == 1
    db.session.flush()
    assert _status(mine["id"]) == "auto_closed" and _status(other["id"]) == "open"
    db.session.rollback()
