"""The scan page /s/<token> (R8, R10): GET checks the token before login and changes
nothing; login and a first password change lead back; POST within the grace succeeds."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.checkin_support import code, later
from tests.conftest import PASSWORD
from volunteer.audit import AuditEntry
from volunteer.checkin.models import ScanAttempt, ServiceSession
from volunteer.extensions import db


def hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" type="hidden" value="([^"]*)"', html)
    assert match, f"no hidden {name}"
    return match.group(1)


def counts():
    return (
        db.session.scalar(select(func.count(ServiceSession.id))),
        db.session.scalar(select(func.count(ScanAttempt.id))),
        db.session.scalar(select(func.count(AuditEntry.id))),
    )


@pytest.fixture
def saturday(frozen):
    return frozen("2026-11-28 09:00:10")


def test_flow_through_login_within_grace(world, client, saturday):
    token = code(world.site_xa)
    url = f"/s/{token}"
    before = counts()
    resp = client.get(url)
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/login?next=/s/")
    assert counts() == before  # GET changes no stored record
    assert "登录后为 高新区服务点 签到" in client.get(resp.headers["Location"]).get_data(
        as_text=True
    )
    resp = client.post(
        "/login", data={"username": "stu_xa", "password": PASSWORD, "next": f"/s/{token}"}
    )
    assert resp.status_code == 302 and resp.headers["Location"] == url
    later(seconds=100)  # the token itself has expired by now
    page = client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "高新区服务点" in html and "西安爱心科技有限公司" in html
    assert "签到" in html and 'scan-out">' not in html
    assert counts() == before
    later(seconds=60)  # 160 s after the first opening: inside the 180 s grace
    resp = client.post(url, data={"action": hidden(html, "action"), "nonce": hidden(html, "nonce")})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    assert "/done" in resp.headers["Location"]
    (session,) = db.session.scalars(select(ServiceSession)).all()
    assert session.status == "open"
    result = client.get(resp.headers["Location"])
    assert result.status_code == 200
    assert "签到成功" in result.get_data(as_text=True)


def test_post_after_grace_is_token_expired(world, client, login, saturday):
    login(world.stu_xa_user)
    token = code(world.site_xa)
    html = client.get(f"/s/{token}").get_data(as_text=True)
    later(seconds=181)
    resp = client.post(f"/s/{token}", data={"action": "check_in", "nonce": hidden(html, "nonce")})
    assert resp.status_code == 400
    body = resp.get_data(as_text=True)
    assert 'data-code="token_expired"' in body and "二维码已过期" in body
    assert db.session.scalar(select(ScanAttempt.result)) == "token_expired"


def test_post_without_opening_the_page_has_no_grace(world, client, login, saturday):
    login(world.stu_xa_user)
    token = code(world.site_xa, steps_back=2)
    resp = client.post(f"/s/{token}", data={"action": "check_in", "nonce": "abc"})
    assert resp.status_code == 400 and "token_expired" in resp.get_data(as_text=True)


def test_first_password_change_on_the_way(world, client, make_student, make_agreement, saturday):
    fresh = make_student("XA", "新同学", username="fresh", initial=True)
    make_agreement(fresh, world.ent_xa)
    token = code(world.site_xa)
    url = f"/s/{token}"
    assert client.get(url).status_code == 302
    resp = client.post("/login", data={"username": "fresh", "password": PASSWORD, "next": url})
    assert resp.headers["Location"] == url
    resp = client.get(url)
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/account/password")
    later(seconds=60)
    resp = client.post(
        "/account/password",
        data={
            "old_password": PASSWORD,
            "new_password": "Autumn-Secret-77",
            "confirm": "Autumn-Secret-77",
            "next": url,
        },
    )
    assert resp.status_code == 302 and resp.headers["Location"] == url
    html = client.get(url).get_data(as_text=True)
    later(seconds=60)
    resp = client.post(url, data={"action": "check_in", "nonce": hidden(html, "nonce")})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:400]
    assert db.session.scalar(select(func.count(ServiceSession.id))) == 1


def test_double_submit_records_one_event(world, client, login, saturday):
    login(world.stu_xa_user)
    token = code(world.site_xa)
    html = client.get(f"/s/{token}").get_data(as_text=True)
    data = {"action": "check_in", "nonce": hidden(html, "nonce")}
    first = client.post(f"/s/{token}", data=data)
    second = client.post(f"/s/{token}", data=data)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert db.session.scalar(select(func.count(ServiceSession.id))) == 1
    assert db.session.scalar(select(func.count(ScanAttempt.id))) == 1


def test_button_follows_state(world, client, login, saturday):
    login(world.stu_xa_user)
    token = code(world.site_xa)
    html = client.get(f"/s/{token}").get_data(as_text=True)
    client.post(f"/s/{token}", data={"action": "check_in", "nonce": hidden(html, "nonce")})
    later(minutes=30)
    token = code(world.site_xa)
    html = client.get(f"/s/{token}").get_data(as_text=True)
    assert hidden(html, "action") == "check_out" and "签退" in html and "timer" in html
    resp = client.post(f"/s/{token}", data={"action": "check_out", "nonce": hidden(html, "nonce")})
    result = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "签退成功" in result and "30 分钟" in result


def test_geolocation_fields_reach_the_session(world, client, login, make_site, saturday):
    site = make_site(world.ent_xa, "有坐标", latitude=34.0, longitude=108.0, radius_m=100)
    login(world.stu_xa_user)
    token = code(site)
    html = client.get(f"/s/{token}").get_data(as_text=True)
    assert 'data-geo="1"' in html
    client.post(
        f"/s/{token}",
        data={
            "action": "check_in",
            "nonce": hidden(html, "nonce"),
            "latitude": "34.0002",
            "longitude": "108.0",
            "accuracy_m": "15",
        },
    )
    session = db.session.scalars(select(ServiceSession)).one()
    assert session.latitude == 34.0002 and session.flag_list == []


def test_refusal_pages_have_chinese_message_and_code(world, client, login, saturday):
    login(world.stu_xa_user)
    resp = client.get("/s/not-a-token")
    assert resp.status_code == 400
    body = resp.get_data(as_text=True)
    assert "二维码无效" in body and 'data-code="token_invalid"' in body
    assert "代码" not in body
    token = code(world.site_xa)
    html = client.get(f"/s/{token}").get_data(as_text=True)
    resp = client.post(f"/s/{token}", data={"action": "check_out", "nonce": hidden(html, "nonce")})
    assert resp.status_code == 409
    body = resp.get_data(as_text=True)
    assert 'data-code="not_checked_in"' in body and "没有进行中的服务" in body
    assert "高新区服务点" in body and ">not_checked_in<" not in body


def test_workday_refusal_on_the_page(world, client, login, frozen):
    """A weekend-only student on a Monday sees why, and no 签到 button that must fail."""
    frozen("2026-11-30 10:00")
    login(world.stu_xa_user)
    token = code(world.site_xa)
    html = client.get(f"/s/{token}").get_data(as_text=True)
    assert 'id="scan-form"' not in html and 'data-code="day_not_allowed"' in html
    assert "11月30日 星期一" in html and "工作日" in html
    assert "下一个可服务日：12月5日 星期六" in html
    resp = client.post(f"/s/{token}", data={"action": "check_in", "nonce": "n-1"})
    assert resp.status_code == 409 and 'data-code="day_not_allowed"' in resp.get_data(as_text=True)


def test_every_day_agreement_gets_the_button_on_a_workday(
    world, client, login, frozen, make_student, make_agreement
):
    from tests.conftest import _user_of

    frozen("2026-11-30 10:00")
    student = make_student("XA", "周全")
    make_agreement(student, world.ent_xa, allow_workdays=True)
    login(_user_of(student))
    html = client.get(f"/s/{code(world.site_xa)}").get_data(as_text=True)
    assert 'id="scan-form"' in html and hidden(html, "action") == "check_in"


def test_used_code_offers_no_check_out(world, client, login, saturday):
    """Checked in with a code, the same code again (page reopened) cannot check out."""
    login(world.stu_xa_user)
    token = code(world.site_xa)
    html = client.get(f"/s/{token}").get_data(as_text=True)
    client.post(f"/s/{token}", data={"action": "check_in", "nonce": hidden(html, "nonce")})
    later(seconds=5)
    html = client.get(f"/s/{token}").get_data(as_text=True)
    assert 'id="scan-form"' not in html and 'data-code="token_reused"' in html
    assert "现在不能签退" in html and "刷新" in html


def test_non_student_sees_a_clear_message(world, client, login, saturday):
    login(world.ent_xa_staff)
    resp = client.get(f"/s/{code(world.site_xa)}")
    assert resp.status_code == 403
    assert "此二维码供学生签到使用" in resp.get_data(as_text=True)


def test_open_elsewhere_shows_notice_and_no_button(world, client, login, make_site, saturday):
    login(world.stu_xa_user)
    token = code(world.site_xa)
    html = client.get(f"/s/{token}").get_data(as_text=True)
    client.post(f"/s/{token}", data={"action": "check_in", "nonce": hidden(html, "nonce")})
    other = make_site(world.ent_xa, "二号点")
    html = client.get(f"/s/{code(other)}").get_data(as_text=True)
    assert "未签退" in html and 'id="scan-form"' not in html


def test_csrf_is_required(world, app_factory, frozen):
    frozen("2026-11-28 09:00")
    token = code(world.site_xa)
    db.session.commit()
    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        client.post(
            "/login",
            data={
                "username": "stu_xa",
                "password": PASSWORD,
                "csrf_token": hidden(page, "csrf_token"),
            },
        )
        html = client.get(f"/s/{token}").get_data(as_text=True)
        resp = client.post(
            f"/s/{token}", data={"action": "check_in", "nonce": hidden(html, "nonce")}
        )
        assert resp.status_code == 400 and "csrf_failed" in resp.get_data(as_text=True)
        resp = client.post(
            f"/s/{token}",
            data={
                "action": "check_in",
                "nonce": hidden(html, "nonce"),
                "csrf_token": hidden(html, "csrf_token"),
            },
        )
        assert resp.status_code == 302
        assert db.session.scalar(select(func.count(ServiceSession.id))) == 1


@pytest.mark.parametrize(("seconds", "words"), [(40, "不足 1 分钟"), (65, "1 分钟")])
def test_short_session_duration_in_words(world, client, login, saturday, seconds, words):
    login(world.stu_xa_user)
    token = code(world.site_xa)
    html = client.get(f"/s/{token}").get_data(as_text=True)
    client.post(f"/s/{token}", data={"action": "check_in", "nonce": hidden(html, "nonce")})
    later(seconds=seconds)
    token = code(world.site_xa)
    html = client.get(f"/s/{token}").get_data(as_text=True)
    resp = client.post(f"/s/{token}", data={"action": "check_out", "nonce": hidden(html, "nonce")})
    result = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert words in result and "0 分钟" not in result


def test_plain_login_page_has_no_scan_context(client):
    assert "登录后为" not in client.get("/login").get_data(as_text=True)
