"""R42: the anomaly queue — shared_device at the scan, the nightly detectors (idempotent),
scope, resolution (dismiss, confirm, confirm and reject), audit, pages and API."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.checkin_support import later, scan
from tests.conftest import _user_of
from volunteer.anomalies.detection import detect_anomalies
from volunteer.anomalies.models import Anomaly
from volunteer.audit import AuditEntry
from volunteer.checkin.models import ServiceSession
from volunteer.checkin.sessions import purge_locations
from volunteer.extensions import db

XIAN = (34.2610, 108.9420)
TONGCHUAN = (34.8967, 108.9450)  # about 71 km north


@pytest.fixture
def saturday(frozen):
    return frozen("2026-11-28 09:00:10")


@pytest.fixture
def more(world, make_student, make_agreement, make_site):
    """A second student at the XA enterprise and a far site of the same enterprise."""
    world.stu_xa2 = make_student("XA", "张小华", username="stu_xa2")
    world.stu_xa2_user = _user_of(world.stu_xa2)
    make_agreement(world.stu_xa2, world.ent_xa)
    world.site_xa.latitude, world.site_xa.longitude, world.site_xa.radius_m = (*XIAN, 300)
    world.site_far = make_site(
        world.ent_xa, "铜川分点", latitude=TONGCHUAN[0], longitude=TONGCHUAN[1], radius_m=300
    )
    db.session.commit()
    return world


def anomalies(kind=None):
    stmt = select(Anomaly).order_by(Anomaly.id)
    if kind:
        stmt = stmt.where(Anomaly.kind == kind)
    return db.session.scalars(stmt).all()


# --- shared_device at the scan ----------------------------------------------------------


def test_one_student_on_a_device_is_not_an_anomaly(world, api, saturday):
    stu = api(world.stu_xa_user)
    assert scan(stu, world.site_xa, device_id="phone-1").status_code == 201
    later(hours=2)
    assert scan(stu, world.site_xa, "check_out", device_id="phone-1").status_code == 200
    assert anomalies() == []


def test_shared_device_grows_one_open_anomaly(more, api, saturday):
    w = more
    a, b, c = api(w.stu_xa_user), api(w.stu_xa2_user), api(w.stu_tc_user)
    assert scan(a, w.site_xa, device_id="phone-1").status_code == 201
    assert anomalies() == []
    resp = scan(b, w.site_xa, device_id="phone-1")
    assert resp.status_code == 201, resp.get_json()
    (found,) = anomalies()
    assert found.kind == "shared_device" and found.status == "open"
    assert found.student_ids == sorted([w.stu_xa.id, w.stu_xa2.id])
    assert found.enterprise_id == w.ent_xa.id  # both sessions at one enterprise
    assert len(found.session_ids) == 2 and found.evidence["device_id"] == "phone-1"
    # a third student, another enterprise: added to the same anomaly
    later(minutes=1)
    assert scan(c, w.site_tc, device_id="phone-1").status_code == 201
    db.session.expire_all()
    (found,) = anomalies()
    assert len(found.student_ids) == 3 and found.enterprise_id is None
    assert len(found.session_ids) == 3
    actions = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.entity == "anomaly").order_by(AuditEntry.id)
    ).all()
    assert actions == ["detected", "evidence_added"]


def test_shared_device_counts_30_days_only(more, api, saturday):
    w = more
    a = api(w.stu_xa_user)
    assert scan(a, w.site_xa, device_id="phone-9").status_code == 201
    later(hours=2)
    assert scan(a, w.site_xa, "check_out", device_id="phone-9").status_code == 200
    later(days=35)  # 2027-01-02, a Saturday; API tokens last 30 days: a new one
    b = api(w.stu_xa2_user)
    assert scan(b, w.site_xa, device_id="phone-9").status_code == 201
    assert anomalies() == []


def test_dismissed_device_is_not_reopened_for_the_same_students(more, api, saturday):
    w = more
    a, b = api(w.stu_xa_user), api(w.stu_xa2_user)
    scan(a, w.site_xa, device_id="phone-2")
    scan(b, w.site_xa, device_id="phone-2")
    (found,) = anomalies()
    staff = api(w.xa_staff)
    resp = staff.post(
        f"/anomalies/{found.id}/resolve", json={"status": "dismissed", "note": "兄妹共用手机"}
    )
    assert resp.status_code == 200, resp.get_json()
    later(hours=2)
    assert scan(a, w.site_xa, "check_out", device_id="phone-2").status_code == 200
    assert len(anomalies()) == 1
    # someone new on that phone: a new open anomaly
    later(minutes=1)
    assert scan(api(w.stu_tc_user), w.site_tc, device_id="phone-2").status_code == 201
    assert [x.status for x in anomalies()] == ["dismissed", "open"]


# --- the nightly detectors ----------------------------------------------------------------


def test_impossible_travel_and_idempotence(more, api, saturday):
    w = more
    stu = api(w.stu_xa_user)
    assert scan(stu, w.site_xa).status_code == 201
    later(hours=2)
    assert scan(stu, w.site_xa, "check_out").status_code == 200
    later(minutes=20)  # 71 km in 20 minutes
    assert scan(stu, w.site_far).status_code == 201
    later(hours=2)
    assert scan(stu, w.site_far, "check_out").status_code == 200
    later(hours=3)  # 71 km in 3 hours: possible
    assert scan(stu, w.site_xa).status_code == 201
    counts = detect_anomalies()
    assert counts["impossible_travel"] == 1
    (found,) = anomalies("impossible_travel")
    e = found.evidence
    assert 69_000 < e["distance_m"] < 73_000 and e["minutes"] == 20 and e["speed_kmh"] > 200
    assert e["from"]["site_name"] == "高新区服务点" and e["to"]["site_name"] == "铜川分点"
    assert found.student_ids == [w.stu_xa.id] and found.enterprise_id == w.ent_xa.id
    assert detect_anomalies()["impossible_travel"] == 0  # idempotent
    assert len(anomalies()) == 1


def test_location_pattern_three_scans_outside(more, api, saturday):
    w = more
    stu = api(w.stu_xa_user)
    away = {"latitude": 34.30, "longitude": 108.99, "accuracy_m": 20}  # ~6 km away
    assert scan(stu, w.site_xa, **away).status_code == 201
    later(hours=1)
    assert scan(stu, w.site_xa, "check_out", **away).status_code == 200
    assert detect_anomalies()["location_pattern"] == 0  # two scans only
    later(days=1)  # Sunday
    assert scan(stu, w.site_xa, **away).status_code == 201
    assert detect_anomalies()["location_pattern"] == 1
    (found,) = anomalies("location_pattern")
    assert found.evidence["count"] == 3 and found.evidence["month"] == "2026-11"
    assert all(s["distance_m"] > 3000 for s in found.evidence["scans"])
    assert detect_anomalies()["location_pattern"] == 0


def test_long_day(more, api, frozen, app):
    w = more
    frozen("2026-11-28 07:00:10")
    stu = api(w.stu_xa_user)
    assert scan(stu, w.site_xa).status_code == 201
    later(hours=9, minutes=30)
    assert scan(stu, w.site_xa, "check_out").status_code == 200
    app.config["DAILY_CAP_HOURS"] = 10
    assert detect_anomalies()["long_day"] == 0
    app.config["DAILY_CAP_HOURS"] = 9
    assert detect_anomalies()["long_day"] == 1
    (found,) = anomalies("long_day")
    assert found.evidence["minutes"] == 570 and found.evidence["date"] == "2026-11-28"
    assert detect_anomalies()["long_day"] == 0


def test_manual_heavy(more, api, saturday):
    w = more
    stu = api(w.stu_xa_user)
    assert scan(stu, w.site_xa).status_code == 201
    later(hours=2)
    assert scan(stu, w.site_xa, "check_out").status_code == 200
    ent = api(w.ent_xa_staff)
    manual = {
        "student_id": w.stu_xa2.id,
        "site_id": w.site_xa.id,
        "check_in_at": "2026-11-28T09:00:00+08:00",
        "check_out_at": "2026-11-28T10:00:00+08:00",
        "reason": "手机没电",
    }
    assert ent.post("/sessions", json=manual).status_code == 201
    # 60 of 180 minutes: a third, above 30%
    assert detect_anomalies()["manual_heavy"] == 1
    (found,) = anomalies("manual_heavy")
    assert found.enterprise_id == w.ent_xa.id
    assert found.evidence["manual_minutes"] == 60 and found.evidence["total_minutes"] == 180
    assert found.student_ids == [w.stu_xa2.id]


def test_manual_below_the_share_is_not_queued(more, api, saturday):
    w = more
    stu = api(w.stu_xa_user)
    assert scan(stu, w.site_xa).status_code == 201
    later(hours=3)
    assert scan(stu, w.site_xa, "check_out").status_code == 200
    manual = {
        "student_id": w.stu_xa2.id,
        "site_id": w.site_xa.id,
        "check_in_at": "2026-11-28T09:00:00+08:00",
        "check_out_at": "2026-11-28T10:00:00+08:00",
        "reason": "手机没电",
    }
    assert api(w.ent_xa_staff).post("/sessions", json=manual).status_code == 201
    assert detect_anomalies()["manual_heavy"] == 0  # 60 of 240 minutes: 25%


def test_cli_runs_and_reports(more, app, saturday):
    result = app.test_cli_runner().invoke(args=["detect-anomalies", "--days", "10"])
    assert result.exit_code == 0 and "new anomalies" in result.output


# --- scope and resolution -----------------------------------------------------------------


@pytest.fixture
def shared(more, api, saturday):
    scan(api(more.stu_xa_user), more.site_xa, device_id="phone-s")
    scan(api(more.stu_xa2_user), more.site_xa, device_id="phone-s")
    (found,) = anomalies()
    return found


def test_scope_of_the_list_and_detail(more, api, shared):
    w = more
    listed = api(w.xa_staff).get("/anomalies").get_json()
    assert [a["id"] for a in listed["items"]] == [shared.id]
    assert listed["items"][0]["kind"] == "shared_device"
    assert set(listed["items"][0]) >= {
        "id",
        "kind",
        "status",
        "detected_at",
        "student_ids",
        "session_ids",
        "enterprise_id",
        "evidence",
        "note",
    }
    assert api(w.sx_staff).get("/anomalies?union_code=XA").get_json()["total"] == 1
    assert api(w.sx_staff).get("/anomalies?union_code=TC").get_json()["total"] == 0
    assert api(w.tc_staff).get("/anomalies").get_json()["total"] == 0
    assert api(w.ent_xa_staff).get("/anomalies?kind=shared_device").get_json()["total"] == 1
    assert api(w.ent_tc_staff).get("/anomalies").get_json()["total"] == 0
    assert api(w.tc_staff).get(f"/anomalies/{shared.id}").status_code == 404
    assert api(w.stu_xa_user).get("/anomalies").status_code == 403
    assert api(w.xa_staff).get("/anomalies?status=bogus").status_code == 400
    assert api(w.xa_staff).get("/anomalies?kind=bogus").status_code == 400
    assert (
        api(w.tc_staff)
        .post(f"/anomalies/{shared.id}/resolve", json={"status": "dismissed", "note": "x"})
        .status_code
        == 404
    )


@pytest.mark.parametrize(
    "body",
    [
        {"status": "open", "note": "x"},
        {"status": "dismissed", "note": ""},
        {"status": "dismissed"},
        {"status": "dismissed", "note": "x", "reject_sessions": "yes"},
        {"status": "dismissed", "note": "x", "reject_sessions": True},
        {"status": "confirmed", "note": "x" * 1001},
    ],
)
def test_bad_resolutions_change_nothing(more, api, shared, body):
    resp = api(more.xa_staff).post(f"/anomalies/{shared.id}/resolve", json=body)
    assert resp.status_code == 400, resp.get_json()
    db.session.refresh(shared)
    assert shared.status == "open" and shared.note is None


def test_dismiss_is_audited_and_final(more, api, shared):
    staff = api(more.xa_staff)
    resp = staff.post(
        f"/anomalies/{shared.id}/resolve", json={"status": "dismissed", "note": "同住"}
    )
    assert resp.status_code == 200
    assert resp.get_json()["status"] == "dismissed" and resp.get_json()["note"] == "同住"
    again = staff.post(f"/anomalies/{shared.id}/resolve", json={"status": "confirmed", "note": "x"})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "invalid_state"
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.entity == "anomaly", AuditEntry.action == "dismissed")
    ).one()
    assert entry.after["note"] == "同住" and entry.before == {"status": "open"}
    # the union's audit log shows it
    audit = staff.get(f"/audit?entity=anomaly&entity_id={shared.id}").get_json()
    assert {"detected", "dismissed"} <= {i["action"] for i in audit["items"]}


def test_confirm_and_reject_sessions_in_one_step(more, api, shared):
    w = more
    later(hours=2)
    scan(api(w.stu_xa_user), w.site_xa, "check_out")
    scan(api(w.stu_xa2_user), w.site_xa, "check_out")
    ent = api(w.ent_xa_staff)
    # the sessions' own rules decide: in an open month the enterprise rejects, not the
    # union — refused whole, the anomaly stays open and no session changes
    resp = api(w.xa_staff).post(
        f"/anomalies/{shared.id}/resolve",
        json={"status": "confirmed", "note": "代签", "reject_sessions": True},
    )
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "invalid_state"
    assert "rejected" not in db.session.scalars(select(ServiceSession.status)).all()
    db.session.refresh(shared)
    assert shared.status == "open"
    resp = ent.post(
        f"/anomalies/{shared.id}/resolve",
        json={"status": "confirmed", "note": "一人代两人签到", "reject_sessions": True},
    )
    assert resp.status_code == 200, resp.get_json()
    db.session.expire_all()
    statuses = db.session.scalars(
        select(ServiceSession.status).where(ServiceSession.id.in_(shared.session_ids))
    ).all()
    assert statuses == ["rejected", "rejected"]
    reasons = db.session.scalars(select(ServiceSession.reason)).all()
    assert all("一人代两人签到" in r for r in reasons)
    rejected = db.session.scalar(
        select(func.count(AuditEntry.id)).where(
            AuditEntry.entity == "session", AuditEntry.action == "rejected"
        )
    )
    assert rejected == 2


def test_confirm_without_rejecting_keeps_sessions(more, api, shared):
    resp = api(more.ent_xa_staff).post(
        f"/anomalies/{shared.id}/resolve", json={"status": "confirmed", "note": "已提醒"}
    )
    assert resp.status_code == 200 and resp.get_json()["status"] == "confirmed"
    assert "rejected" not in db.session.scalars(select(ServiceSession.status)).all()


# --- pages ------------------------------------------------------------------------------


def test_pages_list_detail_resolve(more, client, login, shared):
    login(more.xa_staff)
    html = client.get("/anomalies").get_data(as_text=True)
    assert "同一设备多人使用" in html and "王小明" in html and "张小华" in html
    detail = client.get(f"/anomalies/{shared.id}").get_data(as_text=True)
    assert "同一部手机" in detail and "phone-s"[:8] in detail
    assert '"device_id"' not in detail and "{'" not in detail  # evidence in words
    dash = client.get("/compliance").get_data(as_text=True)
    assert "待处理异常" in dash
    resp = client.post(f"/anomalies/{shared.id}/resolve", data={"status": "dismissed", "note": ""})
    assert resp.status_code == 400
    resp = client.post(
        f"/anomalies/{shared.id}/resolve", data={"status": "dismissed", "note": "家人共用"}
    )
    assert resp.status_code == 302
    db.session.refresh(shared)
    assert shared.status == "dismissed"
    login(more.tc_staff)
    assert client.get(f"/anomalies/{shared.id}").status_code == 404


def test_enterprise_dashboard_shows_counts(more, client, login, shared):
    login(more.ent_xa_staff)
    html = client.get("/checkin/enterprise/sessions").get_data(as_text=True)
    assert "待处理异常" in html and "同一设备多人使用" in html


def test_judged_anomalies_lose_their_device_id_with_the_purge(more, api, login, shared):
    staff = api(more.xa_staff)
    resolve = {"status": "dismissed", "note": "同住"}
    assert staff.post(f"/anomalies/{shared.id}/resolve", json=resolve).status_code == 200
    # Another phone shared by the same two, still waiting for someone to judge it.
    later(hours=3)
    for user in (more.stu_xa_user, more.stu_xa2_user):
        assert scan(api(user), more.site_xa, "check_out", device_id="phone-t").status_code == 200
    waiting = [a for a in anomalies("shared_device") if a.status == "open"]
    assert [a.device_id for a in waiting] == ["phone-t"]
    later(days=89)
    purge_locations()
    db.session.refresh(shared)
    assert shared.device_id == "phone-s"  # not yet 90 days
    later(days=2)
    purge_locations()
    db.session.refresh(shared)
    db.session.refresh(waiting[0])
    assert shared.device_id is None and "device_id" not in shared.evidence
    assert shared.evidence["scans"]  # the rest of the evidence stays
    assert waiting[0].device_id == "phone-t" and waiting[0].evidence["device_id"] == "phone-t"
    page = login(more.xa_staff).get(f"/anomalies/{shared.id}")
    assert page.status_code == 200 and "已按规定删除" in page.get_data(as_text=True)
