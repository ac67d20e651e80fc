"""Pages for enterprises, sites and agreements: roles, scope, forms and what they show."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD, valid_credit_code
from volunteer.agreements.models import Agreement
from volunteer.auth.models import User
from volunteer.enterprises.models import Enterprise, Site
from volunteer.extensions import db


@pytest.fixture(autouse=True)
def _today(frozen):
    frozen("2026-11-28 09:00")


def _pages(w):
    """(path, roles allowed) for every page of this feature."""
    return [
        ("/enterprises", {"union"}),
        ("/enterprises/new", {"union"}),
        (f"/enterprises/{w.ent_xa.id}", {"union"}),
        (f"/enterprises/{w.ent_xa.id}/edit", {"union"}),
        (f"/enterprises/{w.ent_xa.id}/sites/new", {"union", "enterprise"}),
        (f"/enterprises/{w.ent_xa.id}/staff/new", {"union"}),
        (f"/sites/{w.site_xa.id}/edit", {"union", "enterprise"}),
        ("/my/enterprise", {"enterprise"}),
        ("/agreements", {"union"}),
        ("/agreements/new", {"union"}),
        (f"/agreements/new?student_id={w.stu_xa.id}", {"union"}),
        (f"/agreements/{w.agr_xa.id}", {"union", "enterprise", "student"}),
        ("/my/agreements", {"student"}),
    ]


def test_role_matrix(world, app):
    actors = {
        "union": world.xa_staff,
        "enterprise": world.ent_xa_staff,
        "student": world.stu_xa_user,
    }
    anonymous = app.test_client()
    for path, allowed in _pages(world):
        resp = anonymous.get(path)
        assert resp.status_code == 302 and "/login" in resp.headers["Location"], path
    for role, user in actors.items():
        client = app.test_client()
        client.post("/login", data={"username": user.username, "password": PASSWORD})
        for path, allowed in _pages(world):
            resp = client.get(path)
            expected = 200 if role in allowed else 403
            assert resp.status_code == expected, (role, path, resp.status_code)


def test_out_of_scope_pages_are_404(world, login):
    tc = login(world.tc_staff)
    assert tc.get(f"/enterprises/{world.ent_xa.id}").status_code == 200  # read the profile
    for path in (
        f"/enterprises/{world.ent_xa.id}/edit",
        f"/enterprises/{world.ent_xa.id}/sites/new",
        f"/enterprises/{world.ent_xa.id}/staff/new",
        f"/sites/{world.site_xa.id}/edit",
        f"/agreements/{world.agr_xa.id}",
        f"/agreements/new?student_id={world.stu_xa.id}",
    ):
        assert tc.get(path).status_code == 404, path
    assert tc.post(f"/sites/{world.site_xa.id}/active", data={"active": "0"}).status_code == 404


def test_other_city_profile_hides_management(world, login):
    html = login(world.tc_staff).get(f"/enterprises/{world.ent_xa.id}").get_data(as_text=True)
    assert world.ent_xa.name in html and "西安市总工会" in html
    assert "添加服务点" not in html and "高新区服务点" not in html and "重置密码" not in html


def test_create_enterprise_form(world, login):
    client = login(world.xa_staff)
    data = {
        "name": "西安新星软件有限公司",
        "credit_code": "bad",
        "union_code": "XA",
        "capacity": "5",
    }
    resp = client.post("/enterprises/new", data=data)
    assert resp.status_code == 200 and "统一社会信用代码" in resp.get_data(as_text=True)
    assert db.session.scalar(select(Enterprise).where(Enterprise.name == data["name"])) is None
    data["credit_code"] = valid_credit_code(9090)
    resp = client.post("/enterprises/new", data=data)
    assert resp.status_code == 302
    ent = db.session.scalars(select(Enterprise).where(Enterprise.name == data["name"])).one()
    assert ent.capacity == 5 and ent.union_code == "XA"
    data["name"] = "重复"
    resp = client.post("/enterprises/new", data=data)
    assert resp.status_code == 200 and "已登记" in resp.get_data(as_text=True)
    # a union outside the officer's subtree is not offered
    resp = client.post(
        "/enterprises/new", data=dict(data, union_code="TC", credit_code=valid_credit_code(9091))
    )
    assert resp.status_code == 200
    assert (
        db.session.scalar(
            select(Enterprise).where(Enterprise.union_code == "TC", Enterprise.name == "重复")
        )
        is None
    )


def test_edit_enterprise_form(world, login):
    client = login(world.xa_staff)
    resp = client.post(
        f"/enterprises/{world.ent_xa.id}/edit",
        data={
            "name": world.ent_xa.name,
            "credit_code": world.ent_xa.credit_code,
            "capacity": "0",
            "city": "西安",
        },
    )
    assert resp.status_code == 200 and "容量不能低于" in resp.get_data(as_text=True)
    resp = client.post(
        f"/enterprises/{world.ent_xa.id}/edit",
        data={
            "name": world.ent_xa.name,
            "credit_code": world.ent_xa.credit_code,
            "capacity": "12",
            "city": "西安市",
            "contact_phone": "13912345678",
        },
    )
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Enterprise, world.ent_xa.id).capacity == 12


def test_sites_by_pages(world, login):
    client = login(world.ent_xa_staff)
    resp = client.post(
        f"/enterprises/{world.ent_xa.id}/sites/new",
        data={"name": "钟楼点", "latitude": "34.26", "longitude": "200"},
    )
    assert resp.status_code == 200 and "经度" in resp.get_data(as_text=True)
    resp = client.post(
        f"/enterprises/{world.ent_xa.id}/sites/new",
        data={"name": "钟楼点", "latitude": "34.26", "longitude": "108.94", "radius_m": "250"},
    )
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/my/enterprise")
    site = db.session.scalars(select(Site).where(Site.name == "钟楼点")).one()
    assert site.radius_m == 250
    assert client.post(f"/sites/{site.id}/active", data={"active": "0"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Site, site.id).is_active is False
    assert client.post(f"/sites/{site.id}/active", data={"active": "x"}).status_code == 400
    resp = client.post(
        f"/sites/{site.id}/edit", data={"name": "钟楼点", "latitude": "", "longitude": ""}
    )
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Site, site.id).radius_m is None


def test_staff_account_page(world, login):
    client = login(world.xa_staff)
    resp = client.post(
        f"/enterprises/{world.ent_xa.id}/staff/new",
        data={"name": "新管理员", "username": "ent_xa_new", "password": "Another-Pass-1"},
    )
    assert resp.status_code == 302
    user = db.session.scalars(select(User).where(User.username == "ent_xa_new")).one()
    assert user.must_change_password and user.enterprise_id == world.ent_xa.id
    html = client.get(f"/enterprises/{world.ent_xa.id}").get_data(as_text=True)
    assert "ent_xa_new" in html and f"/users/{user.id}/password-reset" in html


def test_agreement_picker_and_suggestions(world, login, make_student):
    free = make_student("XA", "赵空闲", home_city="西安", major="软件工程")
    client = login(world.xa_staff)
    html = client.get("/agreements/new").get_data(as_text=True)
    assert "赵空闲" in html and world.stu_xa.name not in html  # only students without one
    assert world.stu_xa.name in client.get("/agreements/new?q=王小").get_data(as_text=True)
    html = client.get(f"/agreements/new?student_id={free.id}").get_data(as_text=True)
    assert html.index(world.ent_xa.name) < html.index(world.ent_tc.name)
    assert "与学生家庭所在地同城" in html and "软件 → 信息技术" in html
    # a bad period falls back to the default rather than failing
    assert (
        client.get(
            f"/agreements/new?student_id={free.id}&starts_on=2027-05-01&ends_on=2027-01-01"
        ).status_code
        == 200
    )


def test_create_agreement_page(world, login, make_student):
    free = make_student("XA")
    client = login(world.xa_staff)
    form = {
        "student_id": str(free.id),
        "enterprise_id": str(world.ent_xa.id),
        "kind": "volunteer",
        "starts_on": "2026-12-01",
        "ends_on": "2027-06-30",
        "allow_workdays": "",
        "signed_on": "2026-11-27",
    }
    resp = client.post(f"/agreements/new?student_id={free.id}", data=form)
    assert resp.status_code == 302
    agreement = db.session.scalars(select(Agreement).where(Agreement.student_id == free.id)).one()
    assert agreement.paper_signed_on.isoformat() == "2026-11-27" and agreement.monthly_hours == 24
    resp = client.post(
        f"/agreements/new?student_id={free.id}",
        data=dict(form, starts_on="2027-06-30", ends_on="2027-07-31"),
    )
    assert resp.status_code == 200 and "不能重叠" in resp.get_data(as_text=True)


def test_sign_on_pages(world, login, app, make_agreement):
    pending = make_agreement(world.stu_xa, world.ent_xa, "2027-07-01", "2027-08-31", signed=False)
    student = login(world.stu_xa_user)
    html = student.get("/my/agreements").get_data(as_text=True)
    assert f"/agreements/{pending.id}/sign" in html and "签署协议" in html
    assert (
        student.post(f"/agreements/{pending.id}/sign", data={"next": "/my/agreements"}).status_code
        == 302
    )
    html = student.get("/my/agreements").get_data(as_text=True)
    assert "等待企业签署" in html
    ent = app.test_client()
    ent.post("/login", data={"username": world.ent_xa_staff.username, "password": PASSWORD})
    html = ent.get("/my/enterprise").get_data(as_text=True)
    assert "待签署协议" in html and f"/agreements/{pending.id}/sign" in html
    assert (
        ent.post(f"/agreements/{pending.id}/sign", data={"next": "//evil.example"})
        .headers["Location"]
        .endswith(f"/agreements/{pending.id}")
    )
    db.session.expire_all()
    assert db.session.get(Agreement, pending.id).status_on(date(2027, 7, 1)) == "active"


def test_enterprise_page_hides_identity(world, login, make_student, make_agreement):
    s = make_student("XA", "钱保密", family_hardship="父亲工伤")
    make_agreement(s, world.ent_xa, "2027-07-01", "2027-08-31")
    html = login(world.ent_xa_staff).get("/my/enterprise").get_data(as_text=True)
    assert "钱保密" in html and s.phone in html and "西北大学" in html
    assert s.id_number_masked not in html and "父亲工伤" not in html


def test_terminate_on_page(world, login):
    client = login(world.ent_xa_staff)
    resp = client.post(
        f"/agreements/{world.agr_xa.id}/terminate",
        data={"effective_on": "2027-07-05", "reason": "x"},
    )
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Agreement, world.agr_xa.id).terminated_on is None
    client.post(
        f"/agreements/{world.agr_xa.id}/terminate",
        data={"effective_on": "2026-12-10", "reason": "学生转学"},
    )
    db.session.expire_all()
    assert db.session.get(Agreement, world.agr_xa.id).terminated_on.isoformat() == "2026-12-10"
    html = client.get(f"/agreements/{world.agr_xa.id}").get_data(as_text=True)
    assert "学生转学" in html and "提前终止协议" not in html


def test_lists_render_with_filters(world, login):
    client = login(world.xa_staff)
    html = client.get("/agreements?status=active&q=王").get_data(as_text=True)
    assert world.stu_xa.name in html
    assert world.stu_xa.name not in client.get("/agreements?status=pending").get_data(as_text=True)
    assert client.get("/agreements?status=bogus&page=-3").status_code == 200
    html = client.get("/enterprises?q=科技&city=西安").get_data(as_text=True)
    assert world.ent_xa.name in html and world.ent_tc.name not in html
    assert client.get("/enterprises?page=abc").status_code == 200
