"""Sessions through the API: lists and scope, auto-close (R13), month split (R15),
confirm / reject / adjust / manual entry (R16, R17), corrections, month locks (R21)."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from tests.checkin_support import later, scan
from volunteer import clock
from volunteer.audit import AuditEntry
from volunteer.checkin.models import ServiceSession, SessionMonth
from volunteer.extensions import db


@pytest.fixture
def saturday(frozen):
    return frozen("2026-11-28 09:00")


def served(stu, site, hours=2):
    """Check in now and out `hours` later; return the session JSON."""
    assert scan(stu, site).status_code == 201
    later(hours=hours)
    resp = scan(stu, site, "check_out")
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["session"]


def months_of(session_id):
    rows = db.session.scalars(
        select(SessionMonth)
        .where(SessionMonth.session_id == session_id)
        .order_by(SessionMonth.month)
    )
    return [(r.month, r.minutes, r.status) for r in rows]


def code_of(resp):
    return resp.get_json()["error"]["code"]


# --- month split (R15) -----------------------------------------------------------------


def test_session_across_month_end_is_split(world, api, frozen):
    frozen("2026-10-31 23:50:30")
    stu = api(world.stu_xa_user)
    assert scan(stu, world.site_xa).status_code == 201
    later(minutes=20)  # 00:10:30 on 1 November
    session = scan(stu, world.site_xa, "check_out").get_json()["session"]
    assert session["minutes"] == 20
    assert months_of(session["id"]) == [("2026-10", 9, "pending"), ("2026-11", 11, "pending")]
    # confirming copies the status; the minutes stay split
    resp = api(world.ent_xa_staff).post(f"/sessions/{session['id']}/confirm")
    assert resp.status_code == 200
    assert months_of(session["id"]) == [("2026-10", 9, "confirmed"), ("2026-11", 11, "confirmed")]
    # the list by month finds it in both months
    ent = api(world.ent_xa_staff)
    for month in ("2026-10", "2026-11"):
        ids = [s["id"] for s in ent.get(f"/sessions?month={month}").get_json()["items"]]
        assert ids == [session["id"]]
    assert ent.get("/sessions?month=2026-12").get_json()["items"] == []


def test_adjust_moves_minutes_between_months(world, api, frozen):
    frozen("2026-11-28 09:00")
    session = served(api(world.stu_xa_user), world.site_xa)
    resp = api(world.ent_xa_staff).post(
        f"/sessions/{session['id']}/adjust",
        json={
            "check_in_at": "2026-10-31T23:00:00+08:00",
            "check_out_at": "2026-11-01T01:00:00+08:00",
            "reason": "实际时间",
        },
    )
    assert resp.status_code == 200, resp.get_json()
    assert months_of(session["id"]) == [("2026-10", 60, "confirmed"), ("2026-11", 60, "confirmed")]


# --- auto-close (R13) ------------------------------------------------------------------


def test_auto_close_at_the_cap_on_read(world, api, saturday):
    stu = api(world.stu_xa_user)
    opened = scan(stu, world.site_xa).get_json()["session"]
    later(hours=11, minutes=59)
    assert stu.get(f"/sessions/{opened['id']}").get_json()["status"] == "open"
    later(minutes=1)
    body = stu.get(f"/sessions/{opened['id']}").get_json()
    assert body["status"] == "auto_closed"
    assert body["minutes"] == 0
    assert body["flags"] == ["auto_closed"]
    assert body["check_out_at"] == "2026-11-28T21:00:00+08:00"
    assert months_of(opened["id"]) == [("2026-11", 0, "auto_closed")]
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "auto_closed")).one()
    assert entry.actor_name == "system" and entry.entity == "session"


def test_auto_closed_cannot_be_confirmed_until_adjusted(world, api, saturday):
    stu, ent = api(world.stu_xa_user), api(world.ent_xa_staff)
    opened = scan(stu, world.site_xa).get_json()["session"]
    later(hours=13)
    resp = ent.post(f"/sessions/{opened['id']}/confirm")
    assert resp.status_code == 409 and code_of(resp) == "invalid_state"
    resp = ent.post("/sessions/confirm", json={"ids": [opened["id"]]})
    assert resp.status_code == 409 and code_of(resp) == "invalid_state"
    resp = ent.post(
        f"/sessions/{opened['id']}/adjust",
        json={
            "check_in_at": "2026-11-28T09:00:00+08:00",
            "check_out_at": "2026-11-28T12:30:00+08:00",
            "reason": "学生忘记签退，按排班表调整",
        },
    )
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["status"] == "confirmed" and body["minutes"] == 210
    assert body["flags"] == ["adjusted", "auto_closed"]
    assert months_of(opened["id"]) == [("2026-11", 210, "confirmed")]


def test_check_out_after_the_cap_is_not_checked_in(world, api, saturday):
    stu = api(world.stu_xa_user)
    scan(stu, world.site_xa)
    later(hours=12, seconds=1)
    resp = scan(stu, world.site_xa, "check_out")
    assert code_of(resp) == "not_checked_in"
    assert scan(stu, world.site_xa).status_code == 201  # a new session can start


def test_cli_close_stale_sessions(world, api, app, saturday):
    stu = api(world.stu_xa_user)
    opened = scan(stu, world.site_xa).get_json()["session"]
    later(hours=12)
    result = app.test_cli_runner().invoke(args=["close-stale-sessions"])
    assert result.exit_code == 0 and "auto-closed 1" in result.output
    db.session.expire_all()
    assert db.session.get(ServiceSession, opened["id"]).status == "auto_closed"


def test_cli_purge_locations(world, make_site, api, app, saturday):
    site = make_site(world.ent_xa, "有坐标", latitude=34.0, longitude=108.0, radius_m=100)
    stu = api(world.stu_xa_user)
    opened = scan(stu, site, latitude=34.0001, longitude=108.0, accuracy_m=12).get_json()["session"]
    runner = app.test_cli_runner()
    assert "purged coordinates of 0" in runner.invoke(args=["purge-locations"]).output
    later(days=91)
    assert "purged coordinates of 1" in runner.invoke(args=["purge-locations"]).output
    db.session.expire_all()
    s = db.session.get(ServiceSession, opened["id"])
    assert (s.latitude, s.longitude, s.accuracy_m) == (None, None, None)
    assert s.distance_m is not None and 10 < s.distance_m < 12


# --- listing and scope -----------------------------------------------------------------


def test_list_scope_and_filters(world, api, saturday):
    xa = served(api(world.stu_xa_user), world.site_xa)
    later(minutes=1)
    tc = served(api(world.stu_tc_user), world.site_tc, hours=1)

    def ids(user, query=""):
        resp = api(user).get("/sessions" + query)
        assert resp.status_code == 200, resp.get_json()
        return [s["id"] for s in resp.get_json()["items"]]

    assert ids(world.sx_staff) == [tc["id"], xa["id"]]  # newest first
    assert ids(world.xa_staff) == [xa["id"]]
    assert ids(world.tc_staff) == [tc["id"]]
    assert ids(world.ent_xa_staff) == [xa["id"]]
    assert ids(world.stu_tc_user) == [tc["id"]]
    assert ids(world.sx_staff, f"?student_id={world.stu_xa.id}") == [xa["id"]]
    assert ids(world.sx_staff, f"?enterprise_id={world.ent_tc.id}") == [tc["id"]]
    assert ids(world.sx_staff, f"?site_id={world.site_xa.id}") == [xa["id"]]
    assert ids(world.sx_staff, "?status=confirmed") == []
    assert ids(world.sx_staff, "?status=pending&month=2026-11") == [tc["id"], xa["id"]]
    page = api(world.sx_staff).get("/sessions?per_page=1&page=2").get_json()
    assert (
        page["total"] == 2
        and page["per_page"] == 1
        and [s["id"] for s in page["items"]] == [xa["id"]]
    )
    # out of scope: 404
    assert api(world.tc_staff).get(f"/sessions/{xa['id']}").status_code == 404
    assert api(world.ent_tc_staff).get(f"/sessions/{xa['id']}").status_code == 404
    assert api(world.stu_tc_user).get(f"/sessions/{xa['id']}").status_code == 404


def test_cross_city_session_visible_to_both_unions(world, api, make_agreement, frozen):
    frozen("2026-08-01 09:00")  # a Saturday before the world's agreements start
    make_agreement(world.stu_tc, world.ent_xa, "2026-07-01", "2026-08-31")
    s = served(api(world.stu_tc_user), world.site_xa)
    assert api(world.xa_staff).get(f"/sessions/{s['id']}").status_code == 200
    assert api(world.tc_staff).get(f"/sessions/{s['id']}").status_code == 200
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "checked_out")).one()
    assert entry.union_path == "/SX/TC/" and entry.other_union_path == "/SX/XA/"


@pytest.mark.parametrize(
    "query",
    [
        "?month=2026-13",
        "?month=11-2026",
        "?status=done",
        "?student_id=abc",
        "?flag=odd",
        "?per_page=0",
        "?month=9999-12",
    ],
)
def test_list_bad_queries_are_400(world, api, query):
    resp = api(world.sx_staff).get("/sessions" + query)
    assert resp.status_code == 400, resp.get_json()


def test_flag_filter(world, api, make_site, saturday):
    from tests.checkin_support import poster

    stu = api(world.stu_xa_user)
    scan(stu, world.site_xa, token=poster(world.site_xa))
    ent = api(world.ent_xa_staff)
    assert len(ent.get("/sessions?flag=poster").get_json()["items"]) == 1
    assert len(ent.get("/sessions?flag=any").get_json()["items"]) == 1
    assert ent.get("/sessions?flag=manual").get_json()["items"] == []


# --- confirm, bulk confirm, reject ----------------------------------------------------


def test_confirm_reject_and_bulk(world, api, make_student, make_agreement, saturday):
    from tests.conftest import _user_of

    other = make_student("XA", "同学")
    make_agreement(other, world.ent_xa)
    a = served(api(world.stu_xa_user), world.site_xa)
    b = served(api(_user_of(other)), world.site_xa)
    ent = api(world.ent_xa_staff)
    resp = ent.post(f"/sessions/{a['id']}/reject", json={"reason": "  "})
    assert resp.status_code == 400
    resp = ent.post(f"/sessions/{a['id']}/reject", json={"reason": "当天未到岗"})
    assert resp.status_code == 200 and resp.get_json()["status"] == "rejected"
    assert resp.get_json()["reason"] == "当天未到岗"
    assert months_of(a["id"]) == [("2026-11", 0, "rejected")]
    # all or none: a rejected one in the batch refuses the batch
    resp = ent.post("/sessions/confirm", json={"ids": [a["id"], b["id"]]})
    assert resp.status_code == 409 and code_of(resp) == "invalid_state"
    assert db.session.get(ServiceSession, b["id"]).status == "pending"
    resp = ent.post("/sessions/confirm", json={"ids": [b["id"]]})
    assert resp.status_code == 200 and resp.get_json() == {"confirmed": 1}
    assert months_of(b["id"]) == [("2026-11", 120, "confirmed")]
    # confirming again changes nothing
    assert ent.post("/sessions/confirm", json={"ids": [b["id"]]}).get_json() == {"confirmed": 0}
    assert ent.post(f"/sessions/{b['id']}/confirm").status_code == 200


def test_bulk_confirm_out_of_scope_is_404_and_changes_nothing(world, api, saturday):
    a = served(api(world.stu_xa_user), world.site_xa)
    later(minutes=1)
    t = served(api(world.stu_tc_user), world.site_tc)
    resp = api(world.ent_xa_staff).post("/sessions/confirm", json={"ids": [a["id"], t["id"]]})
    assert resp.status_code == 404
    assert db.session.get(ServiceSession, a["id"]).status == "pending"


@pytest.mark.parametrize(
    "body",
    [{"ids": []}, {"ids": ["1"]}, {"ids": [True]}, {"ids": 5}, {}, {"ids": list(range(1, 502))}],
)
def test_bulk_confirm_bad_bodies(world, api, body):
    assert api(world.ent_xa_staff).post("/sessions/confirm", json=body).status_code == 400


def test_open_session_cannot_be_confirmed_or_rejected(world, api, saturday):
    opened = scan(api(world.stu_xa_user), world.site_xa).get_json()["session"]
    ent = api(world.ent_xa_staff)
    assert code_of(ent.post(f"/sessions/{opened['id']}/confirm")) == "invalid_state"
    resp = ent.post(f"/sessions/{opened['id']}/reject", json={"reason": "x"})
    assert code_of(resp) == "invalid_state"


# --- adjust and manual entry (R17) -----------------------------------------------------


@pytest.mark.parametrize(
    ("times", "field"),
    [
        (("2026-11-28T08:00:00+08:00", "2026-11-28T07:00:00+08:00"), "check_out_at"),
        (("2026-11-28T08:00:00+08:00", "2026-11-28T08:00:00+08:00"), "check_out_at"),
        (("2026-11-28T08:00:00+08:00", "2026-11-28T13:00:00+08:00"), "check_out_at"),  # future
        (("2026-11-29T08:00:00+08:00", "2026-11-29T09:00:00+08:00"), "check_in_at"),  # future
        (("2026-11-28T08:00:00", "2026-11-28T09:00:00+08:00"), "check_in_at"),  # no offset
        (("not a time", "2026-11-28T09:00:00+08:00"), "check_in_at"),
    ],
)
def test_adjust_validation(world, api, saturday, times, field):
    s = served(api(world.stu_xa_user), world.site_xa)  # 09:00–11:00, now 11:00
    later(hours=1)  # now 12:00
    resp = api(world.ent_xa_staff).post(
        f"/sessions/{s['id']}/adjust",
        json={"check_in_at": times[0], "check_out_at": times[1], "reason": "调整"},
    )
    assert resp.status_code == 400, resp.get_json()
    error = resp.get_json()["error"]
    assert error["code"] == "validation_error" and field in error["fields"]
    assert db.session.get(ServiceSession, s["id"]).status == "pending"


def test_adjust_may_not_overlap_another_session(world, api, saturday):
    stu = api(world.stu_xa_user)
    first = served(stu, world.site_xa, hours=1)  # 09:00–10:00
    later(hours=1)
    second = served(stu, world.site_xa, hours=1)  # 11:00–12:00
    ent = api(world.ent_xa_staff)
    resp = ent.post(
        f"/sessions/{second['id']}/adjust",
        json={
            "check_in_at": "2026-11-28T09:59:00+08:00",
            "check_out_at": "2026-11-28T12:00:00+08:00",
            "reason": "调整",
        },
    )
    assert resp.status_code == 400
    assert "check_in_at" in resp.get_json()["error"]["fields"]
    resp = ent.post(
        f"/sessions/{second['id']}/adjust",
        json={
            "check_in_at": "2026-11-28T10:00:00+08:00",
            "check_out_at": "2026-11-28T12:00:00+08:00",
            "reason": "调整",
        },
    )
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["minutes"] == 120
    assert first["id"] != second["id"]


def test_adjust_needs_a_reason_and_scope(world, api, saturday):
    s = served(api(world.stu_xa_user), world.site_xa)
    body = {"check_in_at": "2026-11-28T09:00:00+08:00", "check_out_at": "2026-11-28T10:00:00+08:00"}
    assert api(world.ent_xa_staff).post(f"/sessions/{s['id']}/adjust", json=body).status_code == 400
    body["reason"] = "x"
    assert api(world.ent_tc_staff).post(f"/sessions/{s['id']}/adjust", json=body).status_code == 404
    assert api(world.stu_xa_user).post(f"/sessions/{s['id']}/adjust", json=body).status_code == 403
    # union staff of the student's union: only once the month is closed
    resp = api(world.xa_staff).post(f"/sessions/{s['id']}/adjust", json=body)
    assert resp.status_code == 409 and code_of(resp) == "invalid_state"


def test_manual_entry(world, api, saturday):
    ent = api(world.ent_xa_staff)
    body = {
        "student_id": world.stu_xa.id,
        "site_id": world.site_xa.id,
        "check_in_at": "2026-11-28T06:00:00+08:00",
        "check_out_at": "2026-11-28T08:30:00+08:00",
        "reason": "平板断网",
    }
    resp = ent.post("/sessions", json=body)
    assert resp.status_code == 201, resp.get_json()
    s = resp.get_json()
    assert s["status"] == "confirmed" and s["flags"] == ["manual"] and s["minutes"] == 150
    assert s["reason"] == "平板断网"
    assert months_of(s["id"]) == [("2026-11", 150, "confirmed")]
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "entered_manually")
    ).one()
    assert entry.entity_id == str(s["id"]) and entry.actor_name == "ent_xa"
    # overlapping the same student's session: 400
    resp = ent.post(
        "/sessions",
        json={
            **body,
            "check_in_at": "2026-11-28T08:00:00+08:00",
            "check_out_at": "2026-11-28T08:45:00+08:00",
        },
    )
    assert resp.status_code == 400
    # a workday: 409 day_not_allowed; another enterprise's student or site: 404
    resp = ent.post(
        "/sessions",
        json={
            **body,
            "check_in_at": "2026-11-27T06:00:00+08:00",
            "check_out_at": "2026-11-27T07:00:00+08:00",
        },
    )
    assert resp.status_code == 409 and code_of(resp) == "day_not_allowed"
    assert ent.post("/sessions", json={**body, "student_id": world.stu_tc.id}).status_code == 404
    assert ent.post("/sessions", json={**body, "site_id": world.site_tc.id}).status_code == 404
    assert ent.post("/sessions", json={**body, "student_id": "1"}).status_code == 400
    # union staff may enter only in a closed or attested month (test_month_guard.py);
    # another city's union never: the student is not in its scope
    assert api(world.tc_staff).post("/sessions", json=body).status_code == 404


# --- corrections -----------------------------------------------------------------------


def test_correction_accept_applies_the_times(world, api, saturday):
    stu, ent = api(world.stu_xa_user), api(world.ent_xa_staff)
    opened = scan(stu, world.site_xa).get_json()["session"]
    later(hours=13)  # forgot to check out: auto-closed
    resp = stu.post(f"/sessions/{opened['id']}/corrections", json={"note": "忘记签退"})
    assert resp.status_code == 400  # no time proposed
    resp = stu.post(
        f"/sessions/{opened['id']}/corrections",
        json={"check_out_at": "2026-11-28T12:00:00+08:00", "note": "忘记签退，12 点离开"},
    )
    assert resp.status_code == 201, resp.get_json()
    correction = resp.get_json()
    assert correction["status"] == "open" and isinstance(correction["id"], int)
    again = stu.post(
        f"/sessions/{opened['id']}/corrections",
        json={"check_out_at": "2026-11-28T12:00:00+08:00", "note": "再次"},
    )
    assert again.status_code == 409
    assert (
        api(world.ent_tc_staff).post(f"/corrections/{correction['id']}/accept").status_code == 404
    )
    assert stu.post(f"/corrections/{correction['id']}/accept").status_code == 403
    resp = ent.post(f"/corrections/{correction['id']}/accept", json={"note": "已核实"})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["status"] == "accepted"
    s = ent.get(f"/sessions/{opened['id']}").get_json()
    assert s["status"] == "confirmed" and s["minutes"] == 180
    assert s["flags"] == ["adjusted", "auto_closed"]
    resp = ent.post(f"/corrections/{correction['id']}/decline")
    assert resp.status_code == 409 and code_of(resp) == "invalid_state"


def test_correction_decline_leaves_the_session(world, api, saturday):
    stu, ent = api(world.stu_xa_user), api(world.ent_xa_staff)
    s = served(stu, world.site_xa)
    resp = stu.post(
        f"/sessions/{s['id']}/corrections",
        json={"check_in_at": "2026-11-28T08:00:00+08:00", "note": "早到了"},
    )
    assert resp.status_code == 201
    cid = resp.get_json()["id"]
    resp = ent.post(f"/corrections/{cid}/decline", json={"note": "排班表显示 9 点到"})
    assert resp.status_code == 200 and resp.get_json()["status"] == "declined"
    assert ent.get(f"/sessions/{s['id']}").get_json()["status"] == "pending"
    listed = stu.get("/corrections").get_json()["items"]
    assert [c["decision_note"] for c in listed] == ["排班表显示 9 点到"]


def test_correction_bad_input(world, api, saturday):
    stu = api(world.stu_xa_user)
    s = served(stu, world.site_xa)
    url = f"/sessions/{s['id']}/corrections"
    assert (
        stu.post(url, json={"check_in_at": "2026-11-28T12:00:00+08:00", "note": "x"}).status_code
        == 400
    )
    assert (
        stu.post(url, json={"check_out_at": "2030-01-01T00:00:00+08:00", "note": "x"}).status_code
        == 400
    )
    assert stu.post(url, json={"check_out_at": "2026-11-28T10:00:00+08:00"}).status_code == 400
    assert api(world.stu_tc_user).post(url, json={"note": "x"}).status_code == 404
    assert api(world.ent_xa_staff).post(url, json={"note": "x"}).status_code == 403


# --- month locks (R21) -----------------------------------------------------------------


def _close_month(union_code, month, by):
    from volunteer.periods.models import MonthClose

    db.session.add(
        MonthClose(union_code=union_code, month=month, closed_at=clock.now(), closed_by_id=by.id)
    )
    db.session.commit()


def test_closed_month_refuses_the_enterprise_but_not_the_students_union(world, api, frozen):
    frozen("2026-11-28 09:00")
    s = served(api(world.stu_xa_user), world.site_xa)
    frozen("2026-12-02 10:00")
    _close_month("XA", "2026-11", world.xa_staff)
    ent = api(world.ent_xa_staff)
    resp = ent.post(f"/sessions/{s['id']}/confirm")
    assert resp.status_code == 409 and code_of(resp) == "month_closed"
    body = {
        "check_in_at": "2026-11-28T09:00:00+08:00",
        "check_out_at": "2026-11-28T10:00:00+08:00",
        "reason": "结算后更正",
    }
    assert code_of(ent.post(f"/sessions/{s['id']}/adjust", json=body)) == "month_closed"
    # union staff of another union in scope of the enterprise only: 403
    assert api(world.tc_staff).post(f"/sessions/{s['id']}/adjust", json=body).status_code == 404
    resp = api(world.xa_staff).post(f"/sessions/{s['id']}/adjust", json=body)
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["status"] == "confirmed"
    assert months_of(s["id"]) == [("2026-11", 60, "confirmed")]


def test_attested_month_refuses_the_enterprise(world, api, frozen):
    from volunteer.periods.models import Attestation

    frozen("2026-11-28 09:00")
    s = served(api(world.stu_xa_user), world.site_xa)
    db.session.add(
        Attestation(
            enterprise_id=world.ent_xa.id,
            month="2026-11",
            attested_at=clock.now(),
            attested_by_id=world.ent_xa_staff.id,
            signer_name="负责人",
        )
    )
    db.session.commit()
    resp = api(world.ent_xa_staff).post(f"/sessions/{s['id']}/confirm")
    assert resp.status_code == 409 and code_of(resp) == "month_closed"


# --- codes through the API -------------------------------------------------------------


def test_qr_and_poster_endpoints(world, api, saturday):
    ent = api(world.ent_xa_staff)
    body = ent.get(f"/sites/{world.site_xa.id}/qr").get_json()
    assert set(body) == {"token", "url", "expires_at"}
    assert body["url"] == "http://localhost/s/" + body["token"]
    assert datetime.fromisoformat(body["expires_at"]).utcoffset().total_seconds() == 8 * 3600
    assert body["expires_at"] == "2026-11-28T09:01:00+08:00"
    stu = api(world.stu_xa_user)
    assert scan(stu, world.site_xa, token=body["token"]).status_code == 201
    poster = ent.get(f"/sites/{world.site_xa.id}/poster").get_json()
    assert set(poster) == {"token", "url"} and poster["url"].endswith(poster["token"])
    assert ent.get(f"/sites/{world.site_tc.id}/qr").status_code == 404
    assert api(world.xa_staff).get(f"/sites/{world.site_xa.id}/qr").status_code == 403
    assert api(world.stu_xa_user).get(f"/sites/{world.site_xa.id}/poster").status_code == 403


def test_rotate_secret_roles_and_audit(world, api, saturday):
    path = f"/sites/{world.site_xa.id}/rotate-secret"
    assert api(world.stu_xa_user).post(path).status_code == 403
    assert api(world.ent_tc_staff).post(path).status_code == 404
    assert api(world.tc_staff).post(path).status_code == 404  # not the enterprise's union
    resp = api(world.xa_staff).post(path)
    assert resp.status_code == 200 and resp.get_json()["id"] == world.site_xa.id
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "secret_rotated")
    ).one()
    assert entry.entity == "site" and "secret" not in (entry.after or {})
