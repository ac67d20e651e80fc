"""The enterprise endpoints of API.md: create, list, sites, staff, capacity; scope and order."""

from __future__ import annotations

import pytest

from tests.conftest import valid_credit_code

ENTERPRISE_KEYS = {
    "id",
    "name",
    "credit_code",
    "union_code",
    "city",
    "industry",
    "address",
    "capacity",
    "contact_name",
    "contact_phone",
}
SITE_KEYS = {
    "id",
    "enterprise_id",
    "name",
    "address",
    "latitude",
    "longitude",
    "radius_m",
    "is_active",
}


def _body(**over):
    body = {
        "name": "西安爱心物流有限公司",
        "credit_code": valid_credit_code(4242),
        "union_code": "XA",
        "city": "西安",
        "industry": "物流",
    }
    body.update(over)
    return body


def test_create_enterprise(world, api):
    resp = api(world.xa_staff).post("/enterprises", json=_body(contact_phone="13912345678"))
    assert resp.status_code == 201, resp.get_json()
    data = resp.get_json()
    assert set(data) == ENTERPRISE_KEYS
    assert data["capacity"] == 10 and data["union_code"] == "XA" and data["address"] is None
    again = api(world.xa_staff).post("/enterprises", json=_body(name="别名"))
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "duplicate"


@pytest.mark.parametrize(
    "over,field",
    [
        ({"credit_code": "91610000123456789X"}, "credit_code"),
        ({"credit_code": 916100}, "credit_code"),
        ({"capacity": "10"}, "capacity"),
        ({"capacity": -1}, "capacity"),
        ({"capacity": True}, "capacity"),
        ({"contact_phone": "12345"}, "contact_phone"),
        ({"name": ""}, "name"),
        ({"name": None}, "name"),
    ],
)
def test_create_enterprise_validation(world, api, over, field):
    resp = api(world.xa_staff).post("/enterprises", json=_body(**over))
    assert resp.status_code == 400
    assert field in resp.get_json()["error"]["fields"]


def test_create_enterprise_order_of_answers(world, api):
    assert api().post("/enterprises", json=_body()).status_code == 401
    assert api(world.ent_xa_staff).post("/enterprises", json=_body()).status_code == 403
    assert api(world.stu_xa_user).post("/enterprises", json=_body()).status_code == 403
    assert api(world.tc_staff).post("/enterprises", json=_body()).status_code == 404
    assert (
        api(world.tc_staff).post("/enterprises", json=_body(union_code="NOPE")).status_code == 404
    )


def test_list_enterprises_scope_and_search(world, api):
    body = api(world.tc_staff).get("/enterprises").get_json()
    assert body["total"] == 2 and {e["id"] for e in body["items"]} == {
        world.ent_xa.id,
        world.ent_tc.id,
    }
    assert body["items"][0]["id"] == world.ent_tc.id  # the officer's own first
    assert [
        e["id"] for e in api(world.tc_staff).get("/enterprises?city=西安").get_json()["items"]
    ] == [world.ent_xa.id]
    assert api(world.tc_staff).get("/enterprises?q=制造").get_json()["total"] == 1
    mine = api(world.ent_xa_staff).get("/enterprises").get_json()
    assert [e["id"] for e in mine["items"]] == [world.ent_xa.id]
    assert api(world.stu_xa_user).get("/enterprises").status_code == 403
    assert api(world.tc_staff).get("/enterprises?per_page=0").status_code == 400


def test_other_city_reads_profile_but_cannot_manage(world, api):
    tc = api(world.tc_staff)
    assert tc.get(f"/enterprises/{world.ent_xa.id}").status_code == 200
    assert tc.get(f"/enterprises/{world.ent_xa.id}/capacity").status_code == 200
    assert (
        tc.post(f"/enterprises/{world.ent_xa.id}/sites", json={"name": "越权"}).status_code == 404
    )
    # 404 (scope) comes before 400 (the body)
    assert tc.post(f"/enterprises/{world.ent_xa.id}/sites", json={"name": 5}).status_code == 404
    assert tc.get(f"/enterprises/{world.ent_xa.id}/sites").status_code == 404
    assert tc.patch(f"/sites/{world.site_xa.id}", json={"is_active": False}).status_code == 404
    assert tc.patch(f"/enterprises/{world.ent_xa.id}", json={"city": "铜川"}).status_code == 404
    staff = {"username": "x_new", "password": "Another-Pass-1", "name": "越权"}
    assert tc.post(f"/enterprises/{world.ent_xa.id}/staff", json=staff).status_code == 404
    assert api(world.ent_tc_staff).get(f"/enterprises/{world.ent_xa.id}").status_code == 404


def test_add_site_by_union_and_enterprise(world, api):
    resp = api(world.xa_staff).post(
        f"/enterprises/{world.ent_xa.id}/sites",
        json={"name": "钟楼服务点", "latitude": 34.26, "longitude": 108.94, "radius_m": 300},
    )
    assert resp.status_code == 201, resp.get_json()
    site = resp.get_json()
    assert set(site) == SITE_KEYS and site["radius_m"] == 300 and site["is_active"] is True
    resp = api(world.ent_xa_staff).post(
        f"/enterprises/{world.ent_xa.id}/sites", json={"name": "二号点"}
    )
    assert resp.status_code == 201 and resp.get_json()["latitude"] is None
    items = api(world.ent_xa_staff).get(f"/enterprises/{world.ent_xa.id}/sites").get_json()["items"]
    assert len(items) == 3


@pytest.mark.parametrize(
    "body,field",
    [
        ({"name": "点", "latitude": 91, "longitude": 108}, "latitude"),
        ({"name": "点", "latitude": 34, "longitude": -180.5}, "longitude"),
        ({"name": "点", "latitude": 34, "longitude": 108, "radius_m": 5}, "radius_m"),
        ({"name": "点", "latitude": 34, "longitude": 108, "radius_m": 6000}, "radius_m"),
        ({"name": "点", "latitude": 34, "longitude": 108, "radius_m": 100.5}, "radius_m"),
        ({"name": "点", "latitude": "34", "longitude": 108}, "latitude"),
        ({"name": "点", "latitude": 34}, "longitude"),
        ({"name": "点", "radius_m": 100}, "radius_m"),
        ({"latitude": 34, "longitude": 108}, "name"),
    ],
)
def test_add_site_validation(world, api, body, field):
    resp = api(world.xa_staff).post(f"/enterprises/{world.ent_xa.id}/sites", json=body)
    assert resp.status_code == 400
    assert field in resp.get_json()["error"]["fields"]


def test_patch_site(world, api):
    client = api(world.ent_xa_staff)
    resp = client.patch(f"/sites/{world.site_xa.id}", json={"is_active": False, "name": "改名"})
    assert resp.status_code == 200
    assert resp.get_json()["is_active"] is False and resp.get_json()["name"] == "改名"
    assert client.patch(f"/sites/{world.site_xa.id}", json={"is_active": "no"}).status_code == 400
    assert client.patch(f"/sites/{world.site_xa.id}", json={"name": None}).status_code == 400
    assert client.patch(f"/sites/{world.site_tc.id}", json={"is_active": True}).status_code == 404
    assert api(world.stu_xa_user).patch(f"/sites/{world.site_xa.id}", json={}).status_code == 403


def test_patch_enterprise(world, api):
    resp = api(world.sx_staff).patch(
        f"/enterprises/{world.ent_xa.id}", json={"capacity": 3, "address": "新地址"}
    )
    assert resp.status_code == 200
    assert resp.get_json()["capacity"] == 3 and resp.get_json()["address"] == "新地址"
    resp = api(world.xa_staff).patch(f"/enterprises/{world.ent_xa.id}", json={"capacity": 0})
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "capacity_full"
    assert (
        api(world.ent_xa_staff).patch(f"/enterprises/{world.ent_xa.id}", json={}).status_code == 403
    )


def test_enterprise_staff_account(world, api):
    staff = {"username": "ent_xa_2", "password": "Another-Pass-1", "name": "刘会计"}
    resp = api(world.xa_staff).post(f"/enterprises/{world.ent_xa.id}/staff", json=staff)
    assert resp.status_code == 201
    user = resp.get_json()
    assert user["role"] == "enterprise_staff" and user["enterprise_id"] == world.ent_xa.id
    assert user["must_change_password"] is True
    assert (
        api(world.xa_staff).post(f"/enterprises/{world.ent_xa.id}/staff", json=staff).status_code
        == 409
    )
    assert (
        api(world.ent_xa_staff)
        .post(f"/enterprises/{world.ent_xa.id}/staff", json=staff)
        .status_code
        == 403
    )
    listed = api(world.xa_staff).get(f"/enterprises/{world.ent_xa.id}/staff").get_json()["items"]
    assert {u["username"] for u in listed} == {"ent_xa", "ent_xa_2"}


def test_capacity_endpoint(world, api, frozen):
    frozen("2026-11-28 09:00")
    body = api(world.ent_xa_staff).get(f"/enterprises/{world.ent_xa.id}/capacity").get_json()
    assert body["capacity"] == 10 and body["in_use_today"] == 1 and body["peak"] == 1
    assert body["remaining"] == 9 and body["peak_from"] == "2026-11-28"
