"""R41: scans kept by a phone without network and sent later with `scanned_at` — checked
and timed as of that moment, flagged `offline`, bounded in age; device ids (R42) stored
with the attempt and purged with the coordinates (R28); bad input refused whole."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.checkin_support import code, later, scan
from volunteer import clock
from volunteer.checkin.models import ScanAttempt, ScanNonce, ServiceSession
from volunteer.checkin.sessions import purge_locations
from volunteer.extensions import db


@pytest.fixture
def saturday(frozen):
    return frozen("2026-11-28 09:00:10")


@pytest.fixture
def stu(world, api):
    return api(world.stu_xa_user)


def iso(at: datetime) -> str:
    return clock.to_local(at).isoformat()


def error(resp):
    return resp.get_json()["error"]


def sessions_count() -> int:
    return db.session.scalar(select(func.count(ServiceSession.id)))


def sent_later(stu, site, action, at, **extra):
    """A scan made at `at` with the code the kiosk showed then, sent now."""
    return scan(stu, site, action, token=code(site, at), scanned_at=iso(at), **extra)


def test_offline_check_in_is_timed_and_flagged_by_its_moment(world, stu, saturday):
    at = saturday - timedelta(minutes=40)
    resp = sent_later(stu, world.site_xa, "check_in", at, offline=True, nonce="q-1")
    assert resp.status_code == 201, resp.get_json()
    s = resp.get_json()["session"]
    assert s["check_in_at"] == "2026-11-28T08:20:10+08:00"
    assert "offline" in s["flags"]
    resp = scan(stu, world.site_xa, "check_out", nonce="q-2")  # online, now
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["session"]["minutes"] == 40


def test_offline_check_out_minutes_come_from_scanned_at(world, stu, saturday):
    assert scan(stu, world.site_xa, "check_in").status_code == 201
    later(hours=3)
    at = clock.now() - timedelta(hours=1)
    resp = sent_later(stu, world.site_xa, "check_out", at, offline=True)
    assert resp.status_code == 200, resp.get_json()
    s = resp.get_json()["session"]
    assert s["minutes"] == 120 and "offline" in s["flags"]
    assert s["check_out_at"] == "2026-11-28T11:00:10+08:00"


def test_flag_offline_when_said_so_or_over_a_minute_late(world, stu, saturday):
    # 30 s late, not said offline: a slow network, no flag
    resp = sent_later(stu, world.site_xa, "check_in", saturday - timedelta(seconds=30))
    assert resp.status_code == 201 and "offline" not in resp.get_json()["session"]["flags"]
    later(hours=2)
    # 90 s late: flagged even when the phone did not say so
    resp = sent_later(stu, world.site_xa, "check_out", clock.now() - timedelta(seconds=90))
    assert resp.status_code == 200 and "offline" in resp.get_json()["session"]["flags"]


def test_token_is_checked_against_scanned_at(world, stu, saturday):
    earlier = saturday - timedelta(minutes=10)
    # today's code claimed ten minutes ago: from the future of that moment
    resp = scan(stu, world.site_xa, token=code(world.site_xa), scanned_at=iso(earlier))
    assert resp.status_code == 400 and error(resp)["code"] == "token_invalid"
    # a code two steps older than scanned_at: expired at that moment
    old = code(world.site_xa, earlier - timedelta(seconds=90))
    resp = scan(stu, world.site_xa, token=old, scanned_at=iso(earlier))
    assert error(resp)["code"] == "token_expired"
    # the code of ten minutes ago without scanned_at: expired now
    resp = scan(stu, world.site_xa, token=code(world.site_xa, earlier))
    assert error(resp)["code"] == "token_expired"
    assert sessions_count() == 0


def test_scanned_at_bounds(world, stu, saturday, app):
    ahead = saturday + timedelta(minutes=2, seconds=30)
    resp = scan(stu, world.site_xa, token=code(world.site_xa, ahead), scanned_at=iso(ahead))
    assert resp.status_code == 400 and error(resp)["code"] == "token_expired"
    too_old = saturday - timedelta(hours=24, minutes=1)
    resp = sent_later(stu, world.site_xa, "check_in", too_old)
    assert error(resp)["code"] == "token_expired"
    # within 2 minutes ahead is accepted (a phone clock running fast)
    near = saturday + timedelta(seconds=50)
    resp = scan(stu, world.site_xa, token=code(world.site_xa, near), scanned_at=iso(near))
    assert resp.status_code == 201, resp.get_json()
    app.config["OFFLINE_SCAN_HOURS"] = 48
    later(hours=2)
    resp = sent_later(stu, world.site_xa, "check_out", clock.now() - timedelta(minutes=5))
    assert resp.status_code == 200


def test_r11_applies_as_of_scanned_at_day(world, stu, frozen):
    frozen("2026-11-28 09:00:10")  # Saturday: a rest day, allowed
    friday = clock.now() - timedelta(hours=20)  # Friday 13:00: a workday
    resp = sent_later(stu, world.site_xa, "check_in", friday)
    assert resp.status_code == 409 and error(resp)["code"] == "day_not_allowed"
    assert sessions_count() == 0


def test_r11_applies_as_of_scanned_at_agreement(world, stu, frozen):
    world.agr_xa.ends_on = date(2026, 11, 28)
    db.session.commit()
    frozen("2026-11-29 08:00:10")  # Sunday, the agreement ended yesterday
    resp = scan(stu, world.site_xa)
    assert error(resp)["code"] == "no_active_agreement"
    saturday_evening = clock.now() - timedelta(hours=12)
    resp = sent_later(stu, world.site_xa, "check_in", saturday_evening, nonce="late-1")
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["session"]["check_in_at"].startswith("2026-11-28T20:00")


@pytest.mark.parametrize(
    "extra, field",
    [
        ({"scanned_at": "yesterday"}, "scanned_at"),
        ({"scanned_at": "2026-11-28T09:00:00"}, "scanned_at"),  # no offset
        ({"scanned_at": 1764291600}, "scanned_at"),
        ({"offline": "yes"}, "offline"),
        ({"device_id": "d" * 65}, "device_id"),
        ({"device_id": 42}, "device_id"),
    ],
)
def test_bad_offline_fields_are_refused_whole(world, stu, saturday, extra, field):
    resp = scan(stu, world.site_xa, **extra)
    assert resp.status_code == 400, resp.get_json()
    assert error(resp)["code"] == "validation_error" and field in error(resp)["fields"]
    assert sessions_count() == 0


def test_page_refuses_malformed_scanned_at_and_long_device_id(world, client, login, saturday):
    login(world.stu_xa_user)
    token = code(world.site_xa)
    client.get(f"/s/{token}")
    for field, value in (("scanned_at", "not-a-time"), ("device_id", "x" * 65)):
        resp = client.post(
            f"/s/{token}",
            data={"action": "check_in", "nonce": f"p-{field}", field: value},
            headers={"Accept": "application/json"},
        )
        assert resp.status_code == 400 and error(resp)["code"] == "validation_error"
        assert field in error(resp)["fields"]
    assert sessions_count() == 0


def test_replayed_offline_scan_gets_the_same_answer(world, stu, saturday):
    at = saturday - timedelta(minutes=15)
    first = sent_later(stu, world.site_xa, "check_in", at, offline=True, nonce="same-1")
    again = sent_later(stu, world.site_xa, "check_in", at, offline=True, nonce="same-1")
    assert first.status_code == again.status_code == 201
    assert first.get_json() == again.get_json()
    assert sessions_count() == 1
    # a refused one too (the code is stale by now, but the answer was kept)
    bad = sent_later(stu, world.site_xa, "check_in", at, nonce="same-2")
    bad_again = sent_later(stu, world.site_xa, "check_in", at, nonce="same-2")
    assert error(bad)["code"] == error(bad_again)["code"] == "already_checked_in"


def test_queued_check_out_older_than_its_check_in(world, stu, saturday):
    assert scan(stu, world.site_xa, "check_in").status_code == 201
    later(minutes=5)
    before_in = saturday - timedelta(minutes=3)
    resp = sent_later(stu, world.site_xa, "check_out", before_in, offline=True, nonce="o-1")
    assert resp.status_code == 400, resp.get_json()
    assert error(resp)["code"] == "validation_error" and "scanned_at" in error(resp)["fields"]
    s = db.session.scalars(select(ServiceSession)).one()
    db.session.refresh(s)
    assert s.status == "open" and s.check_out_at is None
    # nothing kept for the nonce: the phone may send a corrected scan with it
    assert db.session.scalar(select(func.count(ScanNonce.id))) == 0
    later(hours=1)
    assert scan(stu, world.site_xa, "check_out", nonce="o-1").status_code == 200


def test_offline_check_in_inside_a_recorded_session_is_refused(world, stu, saturday):
    assert scan(stu, world.site_xa, "check_in").status_code == 201
    later(hours=2)
    assert scan(stu, world.site_xa, "check_out").status_code == 200
    later(minutes=5)
    inside = saturday + timedelta(hours=1)
    resp = sent_later(stu, world.site_xa, "check_in", inside, offline=True)
    assert resp.status_code == 400 and "scanned_at" in error(resp)["fields"]
    assert sessions_count() == 1


def test_device_id_is_stored_and_purged_with_locations(world, stu, saturday, app):
    resp = scan(stu, world.site_xa, device_id="3f2a9c1e-0b7d-4c55-9a10-2b1f4d6e8a77")
    assert resp.status_code == 201
    attempt = db.session.scalars(select(ScanAttempt)).one()
    assert attempt.device_id == "3f2a9c1e-0b7d-4c55-9a10-2b1f4d6e8a77"
    later(days=89)
    purge_locations()
    db.session.refresh(attempt)
    assert attempt.device_id is not None
    later(days=2)
    purge_locations()
    db.session.refresh(attempt)
    assert attempt.device_id is None


def test_page_answers_json_for_the_phone_queue(world, client, login, saturday):
    login(world.stu_xa_user)
    at = saturday - timedelta(minutes=20)
    token = code(world.site_xa, at)
    resp = client.post(
        f"/s/{token}",
        data={
            "action": "check_in",
            "nonce": "queue-1",
            "scanned_at": iso(at),
            "offline": "1",
            "device_id": "dev-1",
        },
        headers={"Accept": "application/json"},
    )
    assert resp.status_code == 201, resp.get_data(as_text=True)[:300]
    body = resp.get_json()
    assert body["result"] == "checked_in" and "offline" in body["session"]["flags"]
    assert db.session.scalars(select(ScanAttempt.device_id)).one() == "dev-1"
    # the same form without JSON still redirects to the result page
    later(hours=1)
    resp = client.post(
        f"/s/{code(world.site_xa)}", data={"action": "check_out", "nonce": "queue-2"}
    )
    assert resp.status_code == 302


@pytest.fixture
def october_closed_overnight(world, api, frozen):
    """A phone kept scans on Saturday 31 October; XA closed October at 08:00 on the 1st."""
    frozen("2026-11-01 08:00")
    assert api(world.xa_staff).post("/unions/XA/months/2026-10/close").status_code == 200
    frozen("2026-11-01 09:00")
    return datetime.fromisoformat("2026-10-31T20:00:00+08:00")


def test_offline_scan_into_a_month_closed_meanwhile_is_refused(
    world, stu, api, october_closed_overnight
):
    evening = october_closed_overnight
    resp = sent_later(stu, world.site_xa, "check_in", evening, offline=True, nonce="late-1")
    assert resp.status_code == 409 and error(resp)["code"] == "month_closed", resp.get_json()
    assert "已经结算" in error(resp)["message"]
    assert sessions_count() == 0
    # The phone sends it again: the same answer, still nothing written.
    again = sent_later(stu, world.site_xa, "check_in", evening, offline=True, nonce="late-1")
    assert again.status_code == 409 and error(again)["code"] == "month_closed"
    assert sessions_count() == 0
    # Reopened by XA with a reason: the kept scan goes through, timed by its moment.
    reopen = api(world.xa_staff).post(
        "/unions/XA/months/2026-10/reopen", json={"reason": "补录离线扫码"}
    )
    assert reopen.status_code == 200, reopen.get_json()
    resp = sent_later(stu, world.site_xa, "check_in", evening, offline=True, nonce="late-2")
    assert resp.status_code == 201, resp.get_json()


def test_check_out_reaching_back_into_a_closed_month_is_refused(world, stu, api, frozen):
    # Checked in at 22:00 on Saturday 31 October; XA closed October at 08:00 on the 1st.
    frozen("2026-10-31 22:00")
    assert scan(stu, world.site_xa, "check_in").status_code == 201
    frozen("2026-11-01 08:00")
    assert api(world.xa_staff).post("/unions/XA/months/2026-10/close").status_code == 200
    frozen("2026-11-01 09:00")
    # The check-out the phone kept at 01:00 reaches back into October...
    at = datetime.fromisoformat("2026-11-01T01:00:00+08:00")
    resp = sent_later(stu, world.site_xa, "check_out", at, offline=True, nonce="late-out")
    assert resp.status_code == 409 and error(resp)["code"] == "month_closed", resp.get_json()
    # ...and so does a check-out made now: October's figures stay as they were closed.
    resp = scan(stu, world.site_xa, "check_out", nonce="live-out")
    assert resp.status_code == 409 and error(resp)["code"] == "month_closed", resp.get_json()
    s = db.session.scalars(select(ServiceSession)).one()
    db.session.refresh(s)
    assert s.status == "open" and s.minutes == 0 and s.check_out_at is None
    attempts = db.session.scalars(select(ScanAttempt.result).order_by(ScanAttempt.id)).all()
    assert attempts[-2:] == ["month_closed", "month_closed"]


def test_the_phone_queue_meets_the_same_month_lock(world, client, login, october_closed_overnight):
    # The page's form, as the phone's queue sends it (another path to the same write).
    login(world.stu_xa_user)
    evening = october_closed_overnight
    resp = client.post(
        f"/s/{code(world.site_xa, evening)}",
        data={
            "action": "check_in",
            "nonce": "queue-late",
            "scanned_at": iso(evening),
            "offline": "1",
        },
        headers={"Accept": "application/json"},
    )
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "month_closed"
    assert sessions_count() == 0
