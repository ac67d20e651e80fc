"""Staff and student pages of check-in: lists with filters, bulk confirm, reject, adjust,
manual entry, roster, correction inbox, scan log, kiosks and posters."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.checkin_support import code, later, poster, scan
from tests.services.compliance_support import add_minutes_fixture  # noqa: F401
from volunteer import clock
from volunteer.checkin import tokens
from volunteer.checkin.models import Correction, Kiosk, ServiceSession
from volunteer.extensions import db


@pytest.fixture
def day(world, api, frozen):
    """A Saturday with a pending session, a poster-flagged open one and a stale one."""
    frozen("2026-11-28 08:00")
    stu = api(world.stu_xa_user)
    assert scan(stu, world.site_xa).status_code == 201
    later(hours=2)
    pending = scan(stu, world.site_xa, "check_out").get_json()["session"]
    later(minutes=1)
    opened = scan(stu, world.site_xa, token=poster(world.site_xa)).get_json()["session"]
    db.session.commit()
    return {"pending": pending, "open": opened}


def text(resp):
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    return resp.get_data(as_text=True)


def test_enterprise_sessions_page_lists_and_filters(world, client, login, day):
    login(world.ent_xa_staff)
    html = text(client.get("/checkin/enterprise/sessions"))
    assert "王小明" in html and "待确认" in html
    assert f'name="ids" value="{day["pending"]["id"]}"' in html
    assert "2 小时 0 分" in html
    html = text(client.get("/checkin/enterprise/sessions?status=open&flag=poster"))
    assert "海报码" in html and 'class="flagged"' in html
    html = text(client.get("/checkin/enterprise/sessions?status=confirmed&month=2026-11"))
    assert "没有符合条件的记录" in html
    # bad filters fall back instead of failing
    assert (
        client.get("/checkin/enterprise/sessions?month=xx&status=zz&site_id=-1&flag=q").status_code
        == 200
    )


def test_bulk_confirm_from_the_page(world, client, login, day):
    login(world.ent_xa_staff)
    resp = client.post(
        "/checkin/enterprise/sessions/confirm", data={"ids": [str(day["pending"]["id"])]}
    )
    assert resp.status_code == 302
    assert db.session.get(ServiceSession, day["pending"]["id"]).status == "confirmed"
    resp = client.post(
        "/checkin/enterprise/sessions/confirm",
        data={"ids": [str(day["open"]["id"])]},
        follow_redirects=True,
    )
    assert "不能确认" in resp.get_data(as_text=True)


def test_single_confirm_reject_and_adjust(world, client, login, day):
    login(world.ent_xa_staff)
    sid = day["pending"]["id"]
    html = text(client.get(f"/checkin/sessions/{sid}"))
    assert "调整时间" in html and "驳回" in html
    resp = client.post(f"/checkin/sessions/{sid}/reject", data={"reason": ""})
    assert resp.status_code == 400
    resp = client.post(
        f"/checkin/sessions/{sid}/adjust",
        data={"check_in_at": "2026-11-28T08:30", "check_out_at": "2026-11-28T08:00", "reason": "x"},
    )
    assert resp.status_code == 400 and "签退时间必须晚于签到时间" in resp.get_data(as_text=True)
    resp = client.post(
        f"/checkin/sessions/{sid}/adjust",
        data={
            "check_in_at": "2026-11-28T08:30",
            "check_out_at": "2026-11-28T09:45",
            "reason": "迟到",
        },
    )
    assert resp.status_code == 302
    s = db.session.get(ServiceSession, sid)
    assert s.status == "confirmed" and s.minutes == 75 and s.flag_list == ["adjusted"]
    resp = client.post(f"/checkin/sessions/{sid}/reject", data={"reason": "核实未到岗"})
    assert resp.status_code == 302
    db.session.refresh(s)
    assert s.status == "rejected" and s.reason == "核实未到岗"


def test_other_enterprise_cannot_touch(world, client, login, day):
    login(world.ent_tc_staff)
    sid = day["pending"]["id"]
    assert client.get(f"/checkin/sessions/{sid}").status_code == 404
    assert client.post(f"/checkin/sessions/{sid}/confirm").status_code == 404
    assert client.post(f"/checkin/sessions/{sid}/reject", data={"reason": "x"}).status_code == 404


def test_manual_entry_page(world, client, login, day):
    login(world.ent_xa_staff)
    html = text(client.get("/checkin/enterprise/sessions/new"))
    assert "王小明" in html and "高新区服务点" in html
    resp = client.post(
        "/checkin/enterprise/sessions/new",
        data={
            "student_id": world.stu_xa.id,
            "site_id": world.site_xa.id,
            "check_in_at": "2026-11-28T06:00",
            "check_out_at": "2026-11-28T07:30",
            "reason": "手机没电",
        },
    )
    assert resp.status_code == 302
    manual = db.session.scalars(
        select(ServiceSession).where(ServiceSession.flags == "manual")
    ).one()
    assert manual.minutes == 90 and manual.status == "confirmed"
    resp = client.post(
        "/checkin/enterprise/sessions/new",
        data={
            "student_id": world.stu_xa.id,
            "site_id": world.site_xa.id,
            "check_in_at": "2026-11-28T07:00",
            "check_out_at": "2026-11-28T09:00",
            "reason": "重叠",
        },
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "11-28 06:00–07:30" in html and "时间重叠" in html
    assert f'href="/checkin/sessions/{manual.id}">查看时间重叠的那条记录' in html
    assert "编号" not in html


def test_manual_entry_lists_only_students_it_can_succeed_for(
    world, client, login, day, make_student, make_agreement
):
    """No agreement, a terminated long ago, or an unsigned one: not offered."""
    ended = make_student("XA", "早已结束")
    make_agreement(ended, world.ent_xa, starts_on="2026-01-01", ends_on="2026-06-30")
    unsigned = make_student("XA", "尚未签署")
    make_agreement(unsigned, world.ent_xa, signed=False)
    recent = make_student("XA", "上月结束")
    make_agreement(recent, world.ent_xa, starts_on="2026-09-01", ends_on="2026-11-20")
    login(world.ent_xa_staff)
    html = text(client.get("/checkin/enterprise/sessions/new"))
    assert "王小明" in html and "上月结束" in html
    assert "早已结束" not in html and "尚未签署" not in html


def test_session_page_ids_are_unique(world, client, login, day):
    import re

    login(world.ent_xa_staff)
    # The pending session: it has the reject form (PostgreSQL returns rows in any order).
    sid = day["pending"]["id"]
    html = client.get(f"/checkin/sessions/{sid}").get_data(as_text=True)
    ids = re.findall(r' id="([^"]+)"', html)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert 'for="reject-reason"' in html and 'id="reject-reason"' in html


def test_present_now_roster_has_names(world, client, login, day):
    login(world.ent_xa_staff)
    html = text(client.get("/checkin/enterprise/present"))
    assert "王小明" in html and "当前在岗（1 人）" in html and "海报码" in html
    later(hours=13)  # R13 applies on read
    assert "当前在岗（0 人）" in text(client.get("/checkin/enterprise/present"))


def test_student_home_and_correction_round_trip(world, client, login, day):
    login(world.stu_xa_user)
    html = text(client.get("/checkin/me"))
    assert "正在服务" in html and "timer" in html and "2026-11 的服务记录" in html
    sid = day["pending"]["id"]
    html = text(client.get(f"/checkin/sessions/{sid}/correction"))
    assert 'value="2026-11-28T08:00"' in html
    resp = client.post(
        f"/checkin/sessions/{sid}/correction",
        data={
            "check_in_at": "2026-11-28T07:30",
            "check_out_at": "2026-11-28T10:00",
            "note": "提前到了",
        },
    )
    assert resp.status_code == 302
    c = db.session.scalars(select(Correction)).one()
    assert c.proposed_check_out_at is None  # unchanged times are not proposals
    assert "我的更正申请" in text(client.get("/checkin/me"))
    client.post("/logout")
    login(world.ent_xa_staff)
    html = text(client.get("/checkin/enterprise/corrections"))
    assert "提前到了" in html and "接受并调整" in html
    resp = client.post(f"/checkin/corrections/{c.id}/accept", data={"note": "同意"})
    assert resp.status_code == 302
    s = db.session.get(ServiceSession, sid)
    assert s.status == "confirmed" and s.minutes == 150


def test_scan_log_pages(world, client, login, day, api):
    stu = api(world.stu_xa_user)
    scan(stu, world.site_xa, token="forged")
    later(seconds=30)
    scan(stu, world.site_xa)  # already checked in
    login(world.ent_xa_staff)
    html = text(client.get("/checkin/scans"))
    assert "签到成功" in html and "签退成功" in html
    html = text(client.get("/checkin/scans?result=refused&day=2026-11-28"))
    assert "already_checked_in" in html and "badge-confirmed" not in html
    assert "token_invalid" not in html.split("<tbody>")[-1]  # no site: not the enterprise's
    client.post("/logout")
    login(world.xa_staff)
    html = text(client.get("/checkin/scans?result=token_invalid"))
    assert "token_invalid" in html and "王小明" in html
    client.post("/logout")
    login(world.tc_staff)
    assert "王小明" not in text(client.get("/checkin/scans"))


def test_union_sessions_page(world, client, login, day):
    login(world.xa_staff)
    html = text(client.get("/checkin/union/sessions"))
    assert "王小明" in html and "西安爱心科技有限公司" in html
    client.post("/logout")
    login(world.tc_staff)
    assert "王小明" not in text(client.get("/checkin/union/sessions"))
    assert client.get(f"/checkin/sessions/{day['pending']['id']}").status_code == 404


@pytest.mark.parametrize(
    ("who", "path", "status"),
    [
        ("stu_xa_user", "/checkin/enterprise/sessions", 403),
        ("xa_staff", "/checkin/enterprise/present", 403),
        ("ent_xa_staff", "/checkin/me", 403),
        ("ent_xa_staff", "/checkin/union/sessions", 403),
        ("stu_xa_user", "/checkin/scans", 403),
        ("xa_staff", "/checkin/enterprise/sites", 403),
    ],
)
def test_pages_by_role(world, client, login, who, path, status):
    login(getattr(world, who))
    assert client.get(path).status_code == status


def test_anonymous_pages_go_to_login(client):
    for path in ("/checkin/me", "/checkin/enterprise/sessions", "/checkin/scans"):
        resp = client.get(path)
        assert resp.status_code == 302 and "/login" in resp.headers["Location"]


# --- kiosks, codes, posters ------------------------------------------------------------


def activation_token(html: str) -> str:
    match = re.search(r"/kiosk/activate/([A-Za-z0-9_-]+)", html)
    assert match
    return match.group(1)


def test_kiosk_lifecycle(world, client, login, app, frozen):
    frozen("2026-11-28 09:00")
    login(world.ent_xa_staff)
    assert "高新区服务点" in text(client.get("/checkin/enterprise/sites"))
    resp = client.post(
        "/checkin/enterprise/kiosks", data={"site_id": world.site_xa.id, "label": "前台平板"}
    )
    html = text(resp)
    token = activation_token(html)
    assert "<svg" in html
    kiosk = db.session.scalars(select(Kiosk)).one()
    assert kiosk.activation_hash != token and token not in kiosk.activation_hash
    tablet = app.test_client()
    assert "在这台设备上激活" in text(tablet.get(f"/kiosk/activate/{token}"))
    resp = tablet.post(f"/kiosk/activate/{token}")
    assert resp.status_code == 302 and resp.headers["Location"] == "/kiosk"
    cookie = tablet.get_cookie("kiosk_device")
    assert cookie is not None and cookie.http_only
    db.session.refresh(kiosk)
    assert kiosk.device_hash and kiosk.device_hash != cookie.value
    # the link works once
    assert app.test_client().get(f"/kiosk/activate/{token}").status_code == 404
    screen = text(tablet.get("/kiosk"))
    assert "高新区服务点" in screen and "西安爱心科技有限公司" in screen and "<svg" in screen
    data = tablet.get("/kiosk/code.json").get_json()
    assert {"token", "url", "svg", "present", "expires_at"} <= set(data)
    assert data["url"].endswith("/s/" + data["token"]) and data["present"] == 0
    # the kiosk shows codes sealed with its own key (R41: it can derive them offline)
    step = tokens.step_at(clock.now())
    key = tokens.kiosk_key(world.site_xa.secret, kiosk.id)
    assert data["token"] == tokens.make_kiosk_token(world.site_xa.id, kiosk.id, key, step)
    assert tokens.encode_key(key) in screen
    # the kiosk can show codes and nothing else (the test app context keeps one `g` for
    # every client, so drop the staff's cached login first)
    from flask import g

    g.pop("_login_user", None)
    assert tablet.get("/checkin/enterprise/sessions").status_code == 302
    assert tablet.get(f"/api/v1/sites/{world.site_xa.id}/qr").status_code == 401
    # a student checks in: the count, no names
    from tests.conftest import PASSWORD, Api

    api_client = app.test_client()
    bearer = api_client.post(
        "/api/v1/tokens", json={"username": "stu_xa", "password": PASSWORD}
    ).get_json()
    resp = scan(Api(api_client, bearer["token"]), world.site_xa, token=data["token"])
    assert resp.status_code == 201, resp.get_json()
    data = tablet.get("/kiosk/code.json").get_json()
    assert data["present"] == 1 and "王小明" not in str(data)
    # revoked: the next poll is refused, the screen says so
    g.pop("_login_user", None)
    resp = client.post(f"/checkin/enterprise/kiosks/{kiosk.id}/revoke")
    assert resp.status_code == 302 and resp.headers["Location"] == "/checkin/enterprise/sites"
    resp = tablet.get("/kiosk/code.json")
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "kiosk_revoked"
    resp = tablet.get("/kiosk")
    assert resp.status_code == 403 and "此平板已被停用" in resp.get_data(as_text=True)
    # and its codes, derived offline from its key, are refused from now on
    later(minutes=1)
    step = tokens.step_at(clock.now())
    revoked = tokens.make_kiosk_token(world.site_xa.id, kiosk.id, key, step)
    resp = scan(Api(api_client, bearer["token"]), world.site_xa, "check_out", token=revoked)
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "token_invalid"


def test_unknown_device_and_bad_links(world, app):
    tablet = app.test_client()
    assert tablet.get("/kiosk").status_code == 403
    assert tablet.get("/kiosk/code.json").status_code == 403
    assert tablet.get("/kiosk/activate/short").status_code == 404
    assert tablet.get("/kiosk/activate/" + "x" * 43).status_code == 404


def test_other_enterprise_cannot_revoke_or_create(world, client, login, app):
    login(world.ent_xa_staff)
    client.post("/checkin/enterprise/kiosks", data={"site_id": world.site_xa.id, "label": "前台"})
    kiosk = db.session.scalars(select(Kiosk)).one()
    client.post("/logout")
    login(world.ent_tc_staff)
    assert client.post(f"/checkin/enterprise/kiosks/{kiosk.id}/revoke").status_code == 404
    resp = client.post(
        "/checkin/enterprise/kiosks", data={"site_id": world.site_xa.id, "label": "x"}
    )
    assert resp.status_code == 400  # not one of its sites: not a choice


def test_staff_display_poster_and_svgs(world, client, login, frozen):
    frozen("2026-11-28 09:00")
    login(world.ent_xa_staff)
    html = text(client.get(f"/checkin/sites/{world.site_xa.id}/display"))
    assert "kiosk.js" in html and "<svg" in html
    data = client.get(f"/checkin/sites/{world.site_xa.id}/code.json").get_json()
    assert data["token"] == code(world.site_xa)
    poster_html = text(client.get(f"/checkin/sites/{world.site_xa.id}/poster"))
    assert "扫码签到 / 签退" in poster_html and "<svg" in poster_html
    for path in ("qr.svg", "poster.svg"):
        resp = client.get(f"/checkin/sites/{world.site_xa.id}/{path}")
        assert resp.status_code == 200 and resp.mimetype == "image/svg+xml"
        assert resp.get_data(as_text=True).startswith("<svg") and "viewBox" in resp.get_data(
            as_text=True
        )
    assert client.get(f"/checkin/sites/{world.site_tc.id}/poster").status_code == 404
    resp = client.post(f"/checkin/enterprise/sites/{world.site_xa.id}/rotate")
    assert resp.status_code == 302
    assert (
        client.get(f"/checkin/sites/{world.site_xa.id}/code.json").get_json()["token"]
        != data["token"]
    )


def test_pages_have_no_inline_script_or_style(world, client, login, day):
    login(world.ent_xa_staff)
    for path in (
        "/checkin/enterprise/sessions",
        "/checkin/enterprise/sites",
        f"/checkin/sites/{world.site_xa.id}/poster",
        f"/checkin/sites/{world.site_xa.id}/display",
    ):
        html = text(client.get(path))
        assert "<script>" not in html and " style=" not in html and "onclick" not in html


def test_enterprise_nav_badges_and_paged_sessions(world, client, login, frozen, add_minutes):
    """待确认 and 更正申请 carry counts; the session list pages 20 at a time."""
    for day in range(1, 26):
        add_minutes(world.stu_xa, world.agr_xa, f"2026-10-{day:02d}", 60, "pending")
    frozen("2026-11-03 09:00")
    login(world.ent_xa_staff)
    html = client.get("/checkin/enterprise/sessions?month=").get_data(as_text=True)
    assert '待确认 <span class="nav-count">25<' in html
    assert "更正申请" in html
    assert html.count('data-label="学生"') == 20
    assert "第 1 / 2 页，共 25 条" in html and "page=2" in html
    page2 = client.get("/checkin/enterprise/sessions?month=&page=2").get_data(as_text=True)
    assert page2.count('data-label="学生"') == 5
