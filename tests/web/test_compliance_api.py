"""The compliance and calendar endpoints of API.md, exactly: shapes, scope, order, codes."""

from __future__ import annotations

from sqlalchemy import select

from tests.services.compliance_support import add_minutes_fixture  # noqa: F401
from volunteer.audit import AuditEntry
from volunteer.compliance.models import MonthFigure
from volunteer.extensions import db

MONTHROW_FIELDS = {
    "student_id",
    "student_name",
    "month",
    "required_minutes",
    "confirmed_minutes",
    "pending_minutes",
    "exempt_minutes",
    "status",
    "allowed_days_left",
    "needed_minutes",
}


# --- GET /compliance -------------------------------------------------------------------


def test_compliance_list_for_union_staff(world, api, frozen, add_minutes):
    frozen("2026-11-16 10:00")
    add_minutes(world.stu_xa, world.agr_xa, "2026-11-01", 1440, "confirmed")
    resp = api(world.sx_staff).get("/compliance?month=2026-11")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["month"] == "2026-11" and body["total"] == 2
    assert (body["page"], body["per_page"]) == (1, 50)
    assert set(body["items"][0]) >= MONTHROW_FIELDS
    summary = body["summary"]
    assert summary["met"] == 1 and summary["at_risk"] == 1 and summary["unmatched"] == 0
    assert summary["compliance_rate"] == 0.5
    # XA staff see only XA's student.
    xa = api(world.xa_staff).get("/compliance?month=2026-11").get_json()
    assert [i["student_name"] for i in xa["items"]] == ["王小明"]
    assert xa["items"][0]["status"] == "met"


def test_compliance_filters_and_paging(world, api, frozen, make_student):
    frozen("2026-11-16 10:00")
    for _ in range(3):
        make_student("TC")
    client = api(world.sx_staff)
    body = client.get("/compliance?month=2026-11&union_code=TC&per_page=2&page=2").get_json()
    assert body["total"] == 4 and len(body["items"]) == 2
    assert body["summary"]["unmatched"] == 3 and body["summary"]["at_risk"] == 1
    at_risk = client.get("/compliance?month=2026-11&status=at_risk").get_json()
    assert {i["student_name"] for i in at_risk["items"]} == {"王小明", "李小红"}
    # The summary covers every row of the scope, not only the status filter.
    assert at_risk["summary"]["total"] == 5
    by_enterprise = client.get(f"/compliance?month=2026-11&enterprise_id={world.ent_tc.id}")
    assert [i["student_name"] for i in by_enterprise.get_json()["items"]] == ["李小红"]


def test_compliance_list_errors_in_order(world, api, make_union):
    make_union("YT", parent="XA")
    assert api().get("/compliance").status_code == 401
    assert api(world.stu_xa_user).get("/compliance").status_code == 403
    xa = api(world.xa_staff)
    assert xa.get("/compliance?union_code=TC").status_code == 404
    assert xa.get("/compliance?union_code=TC&month=bad&per_page=0").status_code == 404
    assert xa.get("/compliance?union_code=YT").status_code == 200
    for query in (
        "month=2026-13",
        "month=nov",
        "status=great",
        "enterprise_id=abc",
        "per_page=501",
        "month=1999-01",
    ):
        resp = xa.get(f"/compliance?{query}")
        assert resp.status_code == 400, query
        assert resp.get_json()["error"]["code"] == "validation_error"


def test_compliance_for_enterprise_staff(world, api, frozen):
    frozen("2026-11-16 10:00")
    client = api(world.ent_xa_staff)
    body = client.get("/compliance?month=2026-11").get_json()
    assert [i["student_id"] for i in body["items"]] == [world.stu_xa.id]
    assert client.get(f"/compliance?enterprise_id={world.ent_tc.id}").status_code == 404
    assert client.get(f"/compliance?enterprise_id={world.ent_xa.id}").status_code == 200


# --- GET /students/{id}/months/{month} --------------------------------------------------


def test_student_month_for_each_role(world, api, frozen):
    frozen("2026-11-16 10:00")
    path = f"/students/{world.stu_xa.id}/months/2026-11"
    for user in (world.xa_staff, world.sx_staff, world.ent_xa_staff, world.stu_xa_user):
        resp = api(user).get(path)
        assert resp.status_code == 200, user.username
        row = resp.get_json()
        assert set(row) >= MONTHROW_FIELDS
        assert (row["required_minutes"], row["status"], row["allowed_days_left"]) == (
            1440,
            "at_risk",
            4,
        )
    for user in (world.tc_staff, world.ent_tc_staff, world.stu_tc_user):
        assert api(user).get(path).status_code == 404, user.username
    assert api().get(path).status_code == 401
    assert api(world.xa_staff).get(f"/students/{world.stu_xa.id}/months/2026-1").status_code == 400
    assert api(world.tc_staff).get(f"/students/{world.stu_xa.id}/months/bad").status_code == 404
    assert api(world.xa_staff).get("/students/999999/months/2026-11").status_code == 404


# --- POST /exemptions -----------------------------------------------------------------


def test_create_exemption(world, api, frozen):
    frozen("2026-11-16 10:00")
    client = api(world.xa_staff)
    resp = client.post(
        "/exemptions",
        json={
            "student_id": world.stu_xa.id,
            "month": "2026-11",
            "minutes": 600,
            "reason": "考试周",
        },
    )
    assert resp.status_code == 201
    body = resp.get_json()
    assert {k: body[k] for k in ("student_id", "month", "minutes", "reason")} == {
        "student_id": world.stu_xa.id,
        "month": "2026-11",
        "minutes": 600,
        "reason": "考试周",
    }
    assert isinstance(body["id"], int)
    row = client.get(f"/students/{world.stu_xa.id}/months/2026-11").get_json()
    assert (row["exempt_minutes"], row["required_minutes"]) == (600, 840)
    whole = client.post(
        "/exemptions", json={"student_id": world.stu_xa.id, "month": "2026-11", "reason": "住院"}
    )
    assert whole.status_code == 201 and whole.get_json()["minutes"] is None
    row = client.get(f"/students/{world.stu_xa.id}/months/2026-11").get_json()
    assert (row["required_minutes"], row["status"]) == (0, "exempt")
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.entity == "exemption").order_by(AuditEntry.id)
    ).first()
    assert entry.entity_id == str(body["id"]) and entry.after["reason"] == "考试周"


def test_exemption_errors_in_order(world, api):
    xa = api(world.xa_staff)
    good = {"student_id": world.stu_xa.id, "month": "2026-11", "reason": "考试周"}
    assert api(world.ent_xa_staff).post("/exemptions", json=good).status_code == 403
    assert api(world.stu_xa_user).post("/exemptions", json=good).status_code == 403
    # Another city's student: 404 even when the rest of the body is wrong.
    resp = xa.post("/exemptions", json={"student_id": world.stu_tc.id, "month": "bad"})
    assert resp.status_code == 404
    for body in (
        {**good, "minutes": "60"},
        {**good, "minutes": 0},
        {**good, "minutes": True},
        {**good, "month": "2026-13"},
        {**good, "reason": ""},
        {"student_id": world.stu_xa.id, "month": "2026-11"},
        {**good, "student_id": "1"},
    ):
        resp = xa.post("/exemptions", json=body)
        assert resp.status_code == 400, body
        assert resp.get_json()["error"]["code"] == "validation_error"
    assert xa.post("/exemptions", data="{", content_type="application/json").status_code == 400


# --- close and reopen ---------------------------------------------------------------------


def test_close_and_reopen_a_month(world, api, frozen, add_minutes):
    frozen("2026-10-20 10:00")
    add_minutes(world.stu_xa, world.agr_xa, "2026-10-01", 1000, "confirmed")
    add_minutes(world.stu_xa, world.agr_xa, "2026-10-02", 440, "pending")
    xa = api(world.xa_staff)
    resp = xa.post("/unions/XA/months/2026-10/close")
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "month_not_over"
    frozen("2026-11-02 09:00")
    assert api(world.tc_staff).post("/unions/XA/months/2026-10/close").status_code == 404
    assert api(world.ent_xa_staff).post("/unions/XA/months/2026-10/close").status_code == 403
    assert xa.post("/unions/XA/months/2026-1/close").status_code == 400
    resp = xa.post("/unions/XA/months/2026-10/close")
    assert resp.status_code == 200
    body = resp.get_json()
    assert (body["month"], body["union_code"]) == ("2026-10", "XA")
    assert body["closed_at"].startswith("2026-11-02T09:00") and body["closed_at"].endswith("+08:00")
    again = xa.post("/unions/XA/months/2026-10/close")
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "month_closed"
    row = xa.get(f"/students/{world.stu_xa.id}/months/2026-10").get_json()
    assert (row["status"], row["closed"]) == ("missed", True)
    # The lock: an exemption needs the override reason.
    exemption = {"student_id": world.stu_xa.id, "month": "2026-10", "reason": "考试周"}
    resp = xa.post("/exemptions", json=exemption)
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "month_closed"
    resp = xa.post(
        "/exemptions", json={**exemption, "minutes": 440, "override_reason": "学校补交证明"}
    )
    assert resp.status_code == 201
    row = xa.get(f"/students/{world.stu_xa.id}/months/2026-10").get_json()
    assert (row["status"], row["required_minutes"]) == ("met", 1000)
    # Reopen: a reason is required; only the union that closed it.
    assert xa.post("/unions/XA/months/2026-10/reopen", json={}).status_code == 400
    resp = api(world.sx_staff).post("/unions/SX/months/2026-10/reopen", json={"reason": "核对"})
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "invalid_state"
    resp = xa.post("/unions/XA/months/2026-10/reopen", json={"reason": "企业补充确认"})
    assert resp.status_code == 200 and resp.get_json()["closed_at"] is None
    assert db.session.scalar(select(MonthFigure.id)) is None
    actions = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.entity == "month").order_by(AuditEntry.id)
    ).all()
    assert actions == ["closed", "lock_overridden", "reopened"]


# --- calendar ---------------------------------------------------------------------------


def test_calendar_month_items(world, api):
    resp = api(world.stu_xa_user).get("/calendar?month=2026-10")
    assert resp.status_code == 200
    items = {i["date"]: i for i in resp.get_json()["items"]}
    assert len(items) == 31
    assert items["2026-10-10"]["kind"] == "work" and items["2026-10-10"]["source"] == "official"
    assert items["2026-10-01"]["kind"] == "rest" and items["2026-10-01"]["name"] == "国庆节"
    assert items["2026-10-11"] == {
        "date": "2026-10-11",
        "kind": "rest",
        "source": "official",
        "name": None,
    }
    uncovered = api(world.stu_xa_user).get("/calendar?month=2027-01").get_json()["items"]
    assert {i["source"] for i in uncovered} == {"weekend"}
    assert api(world.stu_xa_user).get("/calendar?month=2026-00").status_code == 400
    assert api().get("/calendar?month=2026-10").status_code == 401


def test_calendar_override_by_root_staff(world, api):
    sx = api(world.sx_staff)
    resp = sx.put("/calendar/2027-01-01", json={"kind": "rest", "name": "元旦"})
    assert resp.status_code == 200 and resp.get_json()["kind"] == "rest"
    items = {i["date"]: i for i in sx.get("/calendar?month=2027-01").get_json()["items"]}
    assert items["2027-01-01"] == {
        "date": "2027-01-01",
        "kind": "rest",
        "source": "override",
        "name": "元旦",
    }
    assert sx.put("/calendar/2027-01-01", json={"kind": "work"}).status_code == 200
    assert sx.delete("/calendar/2027-01-01").status_code == 204
    assert sx.delete("/calendar/2027-01-01").status_code == 404
    items = {i["date"]: i for i in sx.get("/calendar?month=2027-01").get_json()["items"]}
    assert items["2027-01-01"]["source"] == "weekend"
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.entity == "calendar").order_by(AuditEntry.id)
    ).all()
    assert [e.action for e in entries] == ["overridden", "overridden", "override_removed"]
    assert entries[1].before == {"kind": "rest", "name": "元旦"}


def test_calendar_override_refusals(world, api):
    body = {"kind": "rest"}
    for user in (world.xa_staff, world.ent_xa_staff, world.stu_xa_user):
        assert api(user).put("/calendar/2027-01-01", json=body).status_code == 403
        assert api(user).delete("/calendar/2027-01-01").status_code == 403
    # 403 comes before 400 for a non-root officer.
    assert api(world.xa_staff).put("/calendar/bad", json={"kind": 1}).status_code == 403
    sx = api(world.sx_staff)
    for day, payload in (
        ("2027-02-30", body),
        ("20270101", body),
        ("2027-01-01", {"kind": "x"}),
        ("2027-01-01", {"kind": 1}),
        ("2027-01-01", {}),
        ("2027-01-01", {"kind": "rest", "name": "x" * 101}),
    ):
        resp = sx.put(f"/calendar/{day}", json=payload)
        assert resp.status_code == 400, (day, payload)


def test_calendar_override_of_a_closed_month_needs_a_reason(world, api, frozen):
    frozen("2026-11-02 09:00")
    assert api(world.tc_staff).post("/unions/TC/months/2026-10/close").status_code == 200
    sx = api(world.sx_staff)
    resp = sx.put("/calendar/2026-10-10", json={"kind": "rest"})
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "month_closed"
    # R29: only override_reason overrides; a reason by any other name does not
    resp = sx.put("/calendar/2026-10-10", json={"kind": "rest", "reason": "省政府通知"})
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "month_closed"
    resp = sx.put("/calendar/2026-10-10", json={"kind": "rest", "override_reason": "省政府通知"})
    assert resp.status_code == 200
    resp = sx.delete("/calendar/2026-10-10")
    assert resp.status_code == 409
    assert sx.delete("/calendar/2026-10-10?reason=撤回").status_code == 409
    assert sx.delete("/calendar/2026-10-10?override_reason=撤回").status_code == 204
