"""Follow-up cases (R35): opened at month close, worked by union staff in scope, audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from volunteer.audit import AuditEntry
from volunteer.compliance import services as compliance
from volunteer.extensions import db
from volunteer.followups.models import FollowUp
from volunteer.notifications.models import Notification

from ..services.compliance_support import add_minutes_fixture  # noqa: F401


@pytest.fixture
def cases(world, add_minutes, frozen):
    """SX closes September and October: XA's student missed both, TC's only October."""
    frozen("2026-09-10 10:00")
    add_minutes(world.stu_tc, world.agr_tc, "2026-09-05", 1440)
    frozen("2026-11-03 10:00")
    compliance.close_month(world.sx_staff, "SX", "2026-09")
    compliance.close_month(world.sx_staff, "SX", "2026-10")
    return world


def case_of(student, month):
    return db.session.scalars(
        select(FollowUp).where(FollowUp.student_id == student.id, FollowUp.month == month)
    ).one()


def test_close_opens_a_case_per_missed_student_escalated_when_missed_before(cases):
    assert case_of(cases.stu_xa, "2026-09").status == "open"
    assert case_of(cases.stu_xa, "2026-10").status == "escalated"
    assert case_of(cases.stu_tc, "2026-10").status == "open"
    assert case_of(cases.stu_tc, "2026-10").union_code == "TC"
    assert db.session.scalars(select(FollowUp).where(FollowUp.student_id == cases.stu_tc.id)).all()
    assert len(db.session.scalars(select(FollowUp)).all()) == 3
    opened = db.session.scalars(select(AuditEntry).where(AuditEntry.entity == "followup")).all()
    assert len(opened) == 3 and {e.action for e in opened} == {"opened"}


def test_reopen_and_close_again_opens_nothing_twice(cases):
    compliance.reopen_month(cases.sx_staff, "SX", "2026-10", "补录")
    compliance.close_month(cases.sx_staff, "SX", "2026-10")
    assert len(db.session.scalars(select(FollowUp)).all()) == 3


def test_api_list_filters_and_scope(cases, api):
    sx = api(cases.sx_staff)
    body = sx.get("/followups").get_json()
    assert body["total"] == 3
    item = body["items"][0]
    assert set(item) >= {
        "id", "student_id", "student_name", "union_code", "month", "status",
        "assignee_id", "outcome", "notes",
    }  # fmt: skip
    assert sx.get("/followups?month=2026-10&status=escalated").get_json()["total"] == 1
    assert sx.get("/followups?union_code=TC").get_json()["total"] == 1
    assert sx.get("/followups?status=bogus").status_code == 400
    tc = api(cases.tc_staff)
    assert tc.get("/followups").get_json()["total"] == 1
    assert tc.get("/followups?union_code=XA").status_code == 404
    xa_case = case_of(cases.stu_xa, "2026-10").id
    assert tc.post(f"/followups/{xa_case}/notes", json={"text": "x"}).status_code == 404
    assert (
        tc.post(f"/followups/{xa_case}/resolve", json={"outcome": "other", "note": "x"}).status_code
        == 404
    )
    assert api(cases.ent_xa_staff).get("/followups").status_code == 403
    assert api(cases.stu_xa_user).get("/followups").status_code == 403


def test_note_assign_resolve(cases, api, make_user):
    xa = api(cases.xa_staff)
    case_id = case_of(cases.stu_xa, "2026-09").id
    resp = xa.post(f"/followups/{case_id}/notes", json={"text": "电话联系，学生说在准备考试"})
    assert resp.status_code == 201
    assert resp.get_json()["status"] == "contacted"
    assert resp.get_json()["notes"][0]["text"] == "电话联系，学生说在准备考试"
    assert xa.post(f"/followups/{case_id}/notes", json={"text": ""}).status_code == 400
    assert xa.post(f"/followups/{case_id}/notes", json={"text": 5}).status_code == 400
    # Assign: to an officer who sees the case (XA or its ancestors), never to TC's.
    colleague = make_user("union_staff", union_code="XA", name="张干事")
    resp = xa.post(f"/followups/{case_id}/assign", json={"user_id": colleague.id})
    assert resp.status_code == 200 and resp.get_json()["assignee_id"] == colleague.id
    [note] = db.session.scalars(
        select(Notification).where(Notification.user_id == colleague.id)
    ).all()
    assert note.kind == "followup_assigned" and note.link == f"/followups/{case_id}"
    bad = xa.post(f"/followups/{case_id}/assign", json={"user_id": cases.tc_staff.id})
    assert bad.status_code == 400 and bad.get_json()["error"]["fields"]["user_id"]
    assert xa.post(f"/followups/{case_id}/assign", json={"user_id": "1"}).status_code == 400
    # Resolve with an outcome and a note; twice is a 409.
    bad = xa.post(f"/followups/{case_id}/resolve", json={"outcome": "lazy", "note": "x"})
    assert bad.status_code == 400
    resp = xa.post(f"/followups/{case_id}/resolve", json={"outcome": "exams", "note": "考试周"})
    assert resp.status_code == 200
    assert (resp.get_json()["status"], resp.get_json()["outcome"]) == ("resolved", "exams")
    again = xa.post(f"/followups/{case_id}/resolve", json={"outcome": "exams", "note": "x"})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "invalid_state"
    assert xa.post(f"/followups/{case_id}/notes", json={"text": "x"}).status_code == 409
    actions = db.session.scalars(
        select(AuditEntry.action)
        .where(AuditEntry.entity == "followup", AuditEntry.entity_id == str(case_id))
        .order_by(AuditEntry.id)
    ).all()
    assert actions == ["opened", "noted", "assigned", "resolved"]


def test_a_note_on_an_escalated_case_keeps_it_escalated(cases, api):
    case_id = case_of(cases.stu_xa, "2026-10").id
    resp = api(cases.xa_staff).post(f"/followups/{case_id}/notes", json={"text": "已联系"})
    assert resp.get_json()["status"] == "escalated"


def test_pages_list_detail_and_dashboard_tile(cases, login, client):
    login(cases.xa_staff)
    page = client.get("/followups").get_data(as_text=True)
    assert "王小明" in page and "连续未达标" in page and "李小红" not in page
    case_id = case_of(cases.stu_xa, "2026-09").id
    detail = client.get(f"/followups/{case_id}").get_data(as_text=True)
    assert "添加跟进记录" in detail
    resp = client.post(f"/followups/{case_id}", data={"action": "note", "n-text": "上门走访"})
    assert resp.status_code == 302
    assert case_of(cases.stu_xa, "2026-09").status == "contacted"
    resp = client.post(
        f"/followups/{case_id}",
        data={"action": "resolve", "r-outcome": "family", "r-note": "家中有事"},
    )
    assert resp.status_code == 302
    assert case_of(cases.stu_xa, "2026-09").outcome == "family"
    board = client.get("/compliance?month=2026-10").get_data(as_text=True)
    assert "待办帮扶跟进" in board
    tc_case = case_of(cases.stu_tc, "2026-10").id
    assert client.get(f"/followups/{tc_case}").status_code == 404


def test_the_dashboard_tile_counts_up_to_its_cap(cases, client, login, monkeypatch):
    from volunteer.followups import services, views

    login(cases.xa_staff)
    exact = services.active_count(cases.xa_staff)
    assert exact >= 2
    assert services.active_count(cases.xa_staff, cap=1) == 2  # stops one past the cap
    board = client.get("/compliance?month=2026-10").get_data(as_text=True)
    assert f'<div class="value">{exact}</div>' in board
    monkeypatch.setattr(views, "TILE_CAP", exact - 1)
    board = client.get("/compliance?month=2026-10").get_data(as_text=True)
    assert f'<div class="value">{exact - 1}+</div>' in board
