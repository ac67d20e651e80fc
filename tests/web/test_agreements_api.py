"""The agreement and matching endpoints of API.md: shape, rules, scope, signing, terminate."""

from __future__ import annotations

import pytest

AGREEMENT_KEYS = {
    "id",
    "student_id",
    "enterprise_id",
    "kind",
    "starts_on",
    "ends_on",
    "monthly_hours",
    "allow_workdays",
    "status",
    "student_signed_at",
    "enterprise_signed_at",
}


@pytest.fixture(autouse=True)
def _today(frozen):
    frozen("2026-11-28 09:00")


def _body(student, enterprise, start="2027-07-01", end="2027-08-31", **over):
    body = {
        "student_id": student.id,
        "enterprise_id": enterprise.id,
        "starts_on": start,
        "ends_on": end,
    }
    body.update(over)
    return body


def test_create_agreement_shape(world, api):
    resp = api(world.xa_staff).post("/agreements", json=_body(world.stu_xa, world.ent_tc))
    assert resp.status_code == 201, resp.get_json()
    data = resp.get_json()
    assert set(data) >= AGREEMENT_KEYS
    assert (
        data["kind"] == "volunteer"
        and data["monthly_hours"] == 24
        and data["allow_workdays"] is False
    )
    assert data["status"] == "pending" and data["student_signed_at"] is None
    assert data["starts_on"] == "2027-07-01"


def test_create_internship_defaults_and_paper(world, api):
    body = _body(world.stu_xa, world.ent_tc, kind="internship", signed_on="2026-11-20")
    data = api(world.xa_staff).post("/agreements", json=body).get_json()
    assert (data["monthly_hours"], data["allow_workdays"], data["status"]) == (0, True, "scheduled")
    body = _body(world.stu_tc, world.ent_tc, "2027-07-01", "2027-07-31", signed_on="2026-11-29")
    resp = api(world.tc_staff).post("/agreements", json=body)
    assert resp.status_code == 400 and "signed_on" in resp.get_json()["error"]["fields"]


@pytest.mark.parametrize(
    "over,field",
    [
        ({"ends_on": "2027-06-30"}, "ends_on"),
        ({"starts_on": "2027-13-01"}, "starts_on"),
        ({"starts_on": "20270701"}, "starts_on"),
        ({"kind": "job"}, "kind"),
        ({"monthly_hours": "24"}, "monthly_hours"),
        ({"monthly_hours": 241}, "monthly_hours"),
        ({"allow_workdays": "yes"}, "allow_workdays"),
        ({"student_id": True}, "student_id"),
        ({"enterprise_id": "1"}, "enterprise_id"),
        ({"ends_on": "2033-07-01"}, "ends_on"),
    ],
)
def test_create_validation(world, api, over, field):
    resp = api(world.xa_staff).post("/agreements", json=_body(world.stu_xa, world.ent_tc, **over))
    assert resp.status_code == 400, resp.get_json()
    assert field in resp.get_json()["error"]["fields"]


def test_create_conflicts(world, api, make_student, make_enterprise):
    resp = api(world.xa_staff).post(
        "/agreements", json=_body(world.stu_xa, world.ent_tc, "2027-06-30")
    )
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "agreement_overlap"
    full = make_enterprise("XA", capacity=1)
    other = make_student("XA")
    assert api(world.xa_staff).post("/agreements", json=_body(other, full)).status_code == 201
    resp = api(world.xa_staff).post(
        "/agreements", json=_body(world.stu_xa, full, "2027-08-31", "2027-09-30")
    )
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "capacity_full"


def test_create_scope_and_roles(world, api):
    body = _body(world.stu_xa, world.ent_tc)
    assert api().post("/agreements", json=body).status_code == 401
    assert api(world.ent_xa_staff).post("/agreements", json=body).status_code == 403
    assert api(world.stu_xa_user).post("/agreements", json=body).status_code == 403
    assert api(world.tc_staff).post("/agreements", json=body).status_code == 404
    assert (
        api(world.xa_staff)
        .post("/agreements", json=_body(world.stu_xa, world.ent_tc, enterprise_id=99999))
        .status_code
        == 404
    )
    # a student of TC may serve at an XA enterprise: any officer reads every profile
    assert (
        api(world.tc_staff).post("/agreements", json=_body(world.stu_tc, world.ent_xa)).status_code
        == 201
    )


def test_signing_flow_api(world, api):
    created = (
        api(world.xa_staff).post("/agreements", json=_body(world.stu_xa, world.ent_tc)).get_json()
    )
    path = f"/agreements/{created['id']}/sign"
    assert api(world.xa_staff).post(path).status_code == 403
    assert api(world.ent_xa_staff).post(path).status_code == 404
    assert api(world.stu_tc_user).post(path).status_code == 404
    first = api(world.stu_xa_user).post(path)
    assert first.status_code == 200 and first.get_json()["status"] == "pending"
    assert first.get_json()["student_signed_at"].endswith("+08:00")
    second = api(world.ent_tc_staff).post(path)
    assert second.status_code == 200 and second.get_json()["status"] == "scheduled"
    again = api(world.ent_tc_staff).post(path)
    assert again.status_code == 200
    assert again.get_json()["enterprise_signed_at"] == second.get_json()["enterprise_signed_at"]


def test_terminate_api(world, api):
    path = f"/agreements/{world.agr_xa.id}/terminate"
    body = {"reason": "学生毕业", "effective_on": "2026-12-01"}
    assert api(world.stu_xa_user).post(path, json=body).status_code == 403
    assert api(world.tc_staff).post(path, json=body).status_code == 404
    assert api(world.ent_tc_staff).post(path, json=body).status_code == 404
    assert (
        api(world.xa_staff)
        .post(path, json={"reason": "", "effective_on": "2026-12-01"})
        .status_code
        == 400
    )
    assert (
        api(world.xa_staff)
        .post(path, json={"reason": "x", "effective_on": "2027-07-01"})
        .status_code
        == 400
    )
    assert api(world.xa_staff).post(path, json={"reason": "x"}).status_code == 400
    resp = api(world.ent_xa_staff).post(path, json=body)
    assert resp.status_code == 200
    assert (
        resp.get_json()["terminated_on"] == "2026-12-01" and resp.get_json()["status"] == "active"
    )
    resp = api(world.xa_staff).post(path, json=body)
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "invalid_state"


def test_list_agreements(world, api, make_agreement):
    cross = make_agreement(world.stu_tc, world.ent_xa, "2027-07-01", "2027-08-31", signed=False)
    ids = lambda client, q="": [a["id"] for a in client.get("/agreements" + q).get_json()["items"]]  # noqa: E731
    assert sorted(ids(api(world.xa_staff))) == sorted([world.agr_xa.id, cross.id])
    assert ids(api(world.xa_staff), "?status=pending") == [cross.id]
    assert ids(api(world.xa_staff), "?status=active") == [world.agr_xa.id]
    assert ids(api(world.xa_staff), f"?student_id={world.stu_xa.id}") == [world.agr_xa.id]
    assert ids(api(world.tc_staff), f"?enterprise_id={world.ent_xa.id}") == [cross.id]
    assert ids(api(world.ent_tc_staff)) == [world.agr_tc.id]
    assert ids(api(world.stu_tc_user)) == [cross.id, world.agr_tc.id]
    for bad in ("?status=bogus", "?student_id=abc", "?enterprise_id=-1", "?student_id=99999999999"):
        assert api(world.xa_staff).get("/agreements" + bad).status_code == 400, bad
    assert api().get("/agreements").status_code == 401
    assert api(world.xa_staff).get(f"/agreements/{world.agr_tc.id}").status_code == 404
    assert api(world.tc_staff).get(f"/agreements/{cross.id}").get_json()["status"] == "pending"


def test_matches_order_and_reasons(world, api, make_enterprise, make_student, make_agreement):
    busy = make_enterprise("XA", "西安满员软件有限公司", city="西安", industry="软件", capacity=1)
    make_agreement(make_student("XA"), busy, "2026-09-01", "2027-06-30")
    far = make_enterprise("TC", "铜川某软件公司", city="铜川", industry="软件", capacity=10)
    student = make_student("XA", home_city="西安", major="计算机科学与技术", university_city="咸阳")
    resp = api(world.xa_staff).get(
        f"/students/{student.id}/matches?starts_on=2026-12-01&ends_on=2027-05-31"
    )
    assert resp.status_code == 200, resp.get_json()
    items = resp.get_json()["items"]
    order = [i["enterprise"]["id"] for i in items]
    # same city + IT fit first; a far IT firm next; the full one last whatever its fit
    assert order == [world.ent_xa.id, far.id, world.ent_tc.id, busy.id]
    best = items[0]
    assert best["score"] == 40 + 27 + 30
    assert any("同城" in r for r in best["reasons"]) and any(
        "剩余名额 9" in r for r in best["reasons"]
    )
    assert any("计算机" in r for r in best["reasons"])
    assert "名额已满" in items[-1]["reasons"] and items[-1]["is_full"] is True
    assert set(best["enterprise"]) >= {"id", "name", "credit_code", "capacity"}
    assert [i["score"] for i in items[:3]] == sorted([i["score"] for i in items[:3]], reverse=True)


def test_matches_scope_and_validation(world, api):
    path = f"/students/{world.stu_xa.id}/matches"
    assert api().get(path).status_code == 401
    assert api(world.ent_xa_staff).get(path).status_code == 403
    assert api(world.stu_xa_user).get(path).status_code == 403
    assert api(world.tc_staff).get(path).status_code == 404
    assert api(world.xa_staff).get("/students/99999/matches").status_code == 404
    assert api(world.xa_staff).get(path + "?starts_on=2027-02-30").status_code == 400
    assert (
        api(world.xa_staff).get(path + "?starts_on=2027-03-01&ends_on=2027-02-01").status_code
        == 400
    )
    assert api(world.xa_staff).get(path + "?limit=101").status_code == 400
    assert len(api(world.xa_staff).get(path + "?limit=1").get_json()["items"]) == 1


def test_matches_use_one_grouped_query(world, api, app, make_enterprise):
    """The in-use peaks of all enterprises come from a bounded number of queries."""
    from sqlalchemy import event

    from volunteer.extensions import db

    for n in range(12):
        make_enterprise("XA", f"企业{n}", city="西安")
    client = api(world.xa_staff)
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        resp = client.get(f"/students/{world.stu_xa.id}/matches?limit=100")
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(resp.get_json()["items"]) == 14
    agreement_queries = [s for s in statements if "FROM agreements" in s]
    assert len(agreement_queries) == 1
    assert len(statements) < 12
