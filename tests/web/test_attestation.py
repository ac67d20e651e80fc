"""R30: attestation (签字确认) of a settled month, the enterprise locked out after it, the
student's union still able to decide (without closing), staleness and re-attestation."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests.report_support import add_session
from volunteer import clock, events
from volunteer.audit import AuditEntry
from volunteer.checkin.models import ServiceSession
from volunteer.compliance.models import MonthFigure
from volunteer.extensions import db
from volunteer.periods.models import Attestation, MonthClose

NOV = "2026-11"
TZ = ZoneInfo("Asia/Shanghai")


def code_of(resp):
    return resp.get_json()["error"]["code"]


@pytest.fixture
def nov(world, frozen):
    """November at 西安爱心科技: confirmed, pending, auto-closed and open sessions."""
    w = world
    frozen("2026-11-01 08:00")
    w.s_ok = add_session(w.agr_xa, w.site_xa, "2026-11-07 09:00", 600)
    w.s_pending = add_session(w.agr_xa, w.site_xa, "2026-11-08 09:00", 120, status="pending")
    w.s_auto = add_session(
        w.agr_xa, w.site_xa, "2026-11-14 09:00", 720, status="auto_closed", flags="auto_closed"
    )
    at = datetime(2026, 11, 29, 9, 0, tzinfo=TZ)
    w.s_open = ServiceSession(
        student_id=w.stu_xa.id,
        enterprise_id=w.ent_xa.id,
        site_id=w.site_xa.id,
        agreement_id=w.agr_xa.id,
        check_in_at=at,
        status="open",
        flags="",
        minutes=0,
        created_at=at,
        updated_at=at,
    )
    db.session.add(w.s_open)
    db.session.commit()
    frozen("2026-11-29 10:00")
    w.path = f"/enterprises/{w.ent_xa.id}/reports/{NOV}/attest"
    w.state = f"/enterprises/{w.ent_xa.id}/reports/{NOV}/attestation"
    return w


def settle(w, api) -> None:
    """Settle every November session as the enterprise would."""
    ent = api(w.ent_xa_staff)
    assert ent.post(f"/sessions/{w.s_pending.id}/confirm").status_code == 200
    for s in (w.s_auto, w.s_open):
        resp = ent.post(
            f"/sessions/{s.id}/adjust",
            json={
                "check_in_at": clock.to_local(s.check_in_at).isoformat(),
                "check_out_at": clock.to_local(s.check_in_at).replace(hour=12).isoformat(),
                "reason": "按实际时间",
            },
        )
        assert resp.status_code == 200, resp.get_json()


def test_attest_needs_a_month_over_and_every_session_settled(nov, api, frozen):
    w = nov
    ent = api(w.ent_xa_staff)
    assert code_of(ent.post(w.path)) == "month_not_over"
    frozen("2026-12-02 09:00")  # the open session is past the cap now: auto-closed
    resp = ent.post(w.path)
    assert resp.status_code == 409 and code_of(resp) == "unresolved_sessions"
    listed = resp.get_json()["error"]["sessions"]
    assert listed == [w.s_pending.id, w.s_auto.id, w.s_open.id]
    # a correction request still open blocks too, even on a confirmed session
    resp = api(w.stu_xa_user).post(
        f"/sessions/{w.s_ok.id}/corrections",
        json={"check_out_at": "2026-11-07T20:00:00+08:00", "note": "晚走了"},
    )
    assert resp.status_code == 201
    correction = resp.get_json()["id"]
    settle(w, api)
    resp = ent.post(w.path)
    assert code_of(resp) == "unresolved_sessions"
    assert resp.get_json()["error"]["sessions"] == [w.s_ok.id]
    assert ent.post(f"/corrections/{correction}/decline", json={}).status_code == 200
    resp = ent.post(w.path)
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["status"] == "current" and body["signer_name"] == w.ent_xa_staff.name
    # a repeated attest of a current attestation answers the same
    again = ent.post(w.path).get_json()
    assert {k: again[k] for k in body if k != "created"} == {
        k: body[k] for k in body if k != "created"
    }


@pytest.fixture
def attested(nov, api, frozen):
    w = nov
    frozen("2026-12-02 09:00")
    settle(w, api)
    assert api(w.ent_xa_staff).post(w.path).status_code == 200
    w.attested_at = api(w.ent_xa_staff).get(w.state).get_json()["attested_at"]
    return w


def test_the_enterprise_cannot_change_an_attested_month_by_any_path(attested, api, login):
    w = attested
    ent = api(w.ent_xa_staff)
    nov_times = {
        "check_in_at": "2026-11-21T09:00:00+08:00",
        "check_out_at": "2026-11-21T11:00:00+08:00",
    }
    refused = [
        ent.post(f"/sessions/{w.s_ok.id}/reject", json={"reason": "签字后想改"}),
        ent.post(f"/sessions/{w.s_ok.id}/adjust", json={**nov_times, "reason": "签字后想改"}),
        ent.post(
            "/sessions",
            json={"student_id": w.stu_xa.id, "site_id": w.site_xa.id, **nov_times, "reason": "x"},
        ),
        ent.post(
            f"/agreements/{w.agr_xa.id}/terminate",
            json={"reason": "x", "effective_on": "2026-11-15"},
        ),
    ]
    # a correction the student asks for after the signature cannot be accepted either
    resp = api(w.stu_xa_user).post(
        f"/sessions/{w.s_ok.id}/corrections",
        json={"check_out_at": "2026-11-07T20:00:00+08:00", "note": "晚走了"},
    )
    refused.append(ent.post(f"/corrections/{resp.get_json()['id']}/accept", json={}))
    for resp in refused:
        assert resp.status_code == 409 and code_of(resp) == "month_closed", resp.get_json()
    # the pages refuse the same writes
    client = login(w.ent_xa_staff)
    client.post(f"/checkin/sessions/{w.s_ok.id}/reject", data={"reason": "签字后想改"})
    client.post(
        "/checkin/enterprise/sessions/new",
        data={
            "student_id": str(w.stu_xa.id),
            "site_id": str(w.site_xa.id),
            "check_in_at": "2026-11-21T09:00",
            "check_out_at": "2026-11-21T11:00",
            "reason": "补录",
        },
    )
    db.session.expire_all()
    assert db.session.get(ServiceSession, w.s_ok.id).status == "confirmed"
    assert db.session.scalar(select(ServiceSession).where(ServiceSession.flags == "manual")) is None
    assert api(w.ent_xa_staff).get(w.state).get_json()["status"] == "current"


def test_the_students_union_decides_after_attestation_and_it_goes_stale(
    attested, api, login, frozen
):
    w = attested
    seen: list[tuple] = []

    def listener(enterprise_id, **kw):
        seen.append((enterprise_id, kw["month"], kw["status"]))

    events.attestation_changed.connect(listener)
    try:
        frozen("2026-12-03 15:30")
        xa = api(w.xa_staff)
        # another city's union may not; the union in an unattested month may not either
        assert api(w.tc_staff).post(
            f"/sessions/{w.s_ok.id}/reject", json={"reason": "越权"}
        ).status_code in (403, 404)
        resp = xa.post(
            f"/sessions/{w.s_ok.id}/adjust",
            json={
                "check_in_at": "2026-11-07T09:00:00+08:00",
                "check_out_at": "2026-11-07T20:00:00+08:00",
                "reason": "企业签字后工会核实：实际到 20 点",
            },
        )
        assert resp.status_code == 200, resp.get_json()
    finally:
        events.attestation_changed.disconnect(listener)
    assert seen == [(w.ent_xa.id, NOV, "stale")]
    state = xa.get(w.state).get_json()
    assert state["status"] == "stale" and state["stale_since"].startswith("2026-12-03T15:30")
    assert state["attested_at"] == w.attested_at
    # the month stays open: nothing was closed, no figures stored
    assert db.session.scalar(select(MonthClose.id)) is None
    assert db.session.scalar(select(MonthFigure.id)) is None
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "stale")).one()
    assert entry.entity == "attestation" and entry.after["status"] == "stale"
    # every rendering says 签字后已变更 and when; none shows the old signature as current
    ent = api(w.ent_xa_staff)
    report = ent.get(f"/enterprises/{w.ent_xa.id}/reports/{NOV}").get_json()
    assert report["attestation_status"] == "stale"
    csv_text = ent.get(f"/enterprises/{w.ent_xa.id}/reports/{NOV}.csv").data.decode("utf-8-sig")
    assert "签字后已变更" in csv_text and "2026-12-03 15:30" in csv_text
    page = login(w.ent_xa_staff).get(f"/reports/enterprise?month={NOV}").get_data(as_text=True)
    assert "签字后已变更" in page and "重新签字确认" in page
    # the enterprise attests again: current
    resp = ent.post(w.path)
    assert resp.status_code == 200 and resp.get_json()["status"] == "current"
    assert resp.get_json()["stale_since"] is None
    assert db.session.scalars(select(Attestation)).one().stale_since is None


def test_union_manual_entry_confirm_and_reject_after_attestation(attested, api, frozen):
    w = attested
    xa = api(w.xa_staff)
    body = {
        "student_id": w.stu_xa.id,
        "site_id": w.site_xa.id,
        "check_in_at": "2026-11-21T09:00:00+08:00",
        "check_out_at": "2026-11-21T11:00:00+08:00",
    }
    assert xa.post("/sessions", json=body).status_code == 400  # the reason is the override
    resp = xa.post("/sessions", json={**body, "reason": "手机没电，工会核实补录"})
    assert resp.status_code == 201 and resp.get_json()["flags"] == ["manual"]
    resp = xa.post(f"/sessions/{resp.get_json()['id']}/reject", json={"reason": "补录有误"})
    assert resp.status_code == 200 and resp.get_json()["status"] == "rejected"
    assert api(w.ent_xa_staff).get(w.state).get_json()["status"] == "stale"
    # in December (neither closed nor attested) union staff leave the decisions to the enterprise
    frozen("2026-12-05 12:00")
    dec = add_session(w.agr_xa, w.site_xa, "2026-12-05 09:00", 60, status="pending")
    resp = xa.post(f"/sessions/{dec.id}/confirm", json={"reason": "代确认"})
    assert resp.status_code == 409 and code_of(resp) == "invalid_state"


def test_attestation_page_lists_unresolved_sessions_with_links(nov, login, frozen):
    w = nov
    frozen("2026-12-02 09:00")
    page = login(w.ent_xa_staff).get(f"/reports/enterprise?month={NOV}").get_data(as_text=True)
    assert "还有 3 条服务记录未处理" in page
    for s in (w.s_pending, w.s_auto, w.s_open):
        assert f'href="/checkin/sessions/{s.id}"' in page
    assert 'name="confirm"' not in page
    union_page = login(w.xa_staff).get(
        f"/reports/enterprise?enterprise_id={w.ent_xa.id}&month={NOV}"
    )
    assert "还有 3 条服务记录未处理" in union_page.get_data(as_text=True)
