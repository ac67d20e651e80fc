"""Officers follow one student: a search box on the dashboard (name, phone, last digits
of the ID number), the record page with every event, the month page for staff."""

from __future__ import annotations

import re

from tests.checkin_support import later, scan
from tests.services.compliance_support import add_minutes_fixture  # noqa: F401
from volunteer.compliance.models import Exemption
from volunteer.extensions import db


def test_dashboard_has_a_student_search(world, login, frozen):
    frozen("2026-11-16 10:00")
    html = login(world.xa_staff).get("/compliance").get_data(as_text=True)
    assert 'action="/students"' in html and 'name="q"' in html and "身份证后四位" in html


def test_search_by_last_digits_of_the_id_number(world, login):
    client = login(world.xa_staff)
    tail = world.stu_xa.id_number_masked[-4:]
    html = client.get(f"/students?q={tail}").get_data(as_text=True)
    assert "王小明" in html
    other = "0000" if tail != "0000" else "1111"
    assert "王小明" not in client.get(f"/students?q={other}X").get_data(as_text=True)
    # Scope holds: another city's officer finds nothing.
    tc = login(world.tc_staff).get(f"/students?q={tail}").get_data(as_text=True)
    assert "王小明" not in tc


def test_student_detail_links_to_progress_and_record(world, login, frozen):
    frozen("2026-11-16 10:00")
    html = login(world.xa_staff).get(f"/students/{world.stu_xa.id}").get_data(as_text=True)
    assert f'href="/compliance/students/{world.stu_xa.id}/2026-11"' in html
    assert f'href="/students/{world.stu_xa.id}/record#timeline"' in html


def test_record_shows_every_kind_of_event(world, login, api, frozen, add_minutes):
    add_minutes(world.stu_xa, world.agr_xa, "2026-10-10", 300, "confirmed")
    frozen("2026-11-28 09:00")
    stu = api(world.stu_xa_user)
    scan(stu, world.site_xa)
    later(minutes=90)
    resp = scan(stu, world.site_xa, "check_out")
    session_id = resp.get_json()["session"]["id"]
    asked = stu.post(
        f"/sessions/{session_id}/corrections",
        json={"note": "早走了十分钟", "check_out_at": "2026-11-28T10:20:00+08:00"},
    )
    assert asked.status_code == 201, asked.get_json()
    login(world.xa_staff).post(
        "/compliance/exemptions/new",
        data={"student_id": world.stu_xa.id, "month": "2026-11", "hours": "4", "reason": "考试"},
    )
    assert db.session.query(Exemption).count() == 1
    client = login(world.xa_staff)
    html = client.get(f"/students/{world.stu_xa.id}/record").get_data(as_text=True)
    for words in (
        "协议生效",
        "服务",
        "更正申请",
        "免除",
        "各月情况",
        "2026 年 11 月",
        "2026 年 10 月",
    ):
        assert words in html, words
    assert f'href="/checkin/sessions/{session_id}"' in html
    assert "早走了十分钟" in html and "考试" in html
    assert not re.search(r"#\d+", html.split("<main")[1])
    assert login(world.tc_staff).get(f"/students/{world.stu_xa.id}/record").status_code == 404


def test_union_month_page_lists_sessions_and_speaks_to_staff(world, login, frozen, add_minutes):
    add_minutes(world.stu_xa, world.agr_xa, "2026-11-07", 1500, "confirmed")
    frozen("2026-11-16 10:00")
    html = login(world.xa_staff).get(f"/compliance/students/{world.stu_xa.id}/2026-11")
    html = html.get_data(as_text=True)
    assert "感谢你的付出" not in html and "本月已达标。" in html
    assert "本月服务记录" in html and "11-07" in html and "25 小时 0 分" in html


def test_every_day_student_is_not_told_to_serve_on_rest_days(
    world, login, frozen, make_student, make_agreement
):
    from tests.conftest import _user_of

    frozen("2026-11-16 10:00")
    html = login(world.stu_xa_user).get("/me/progress").get_data(as_text=True)
    assert "在休息日" in html
    student = make_student("XA", "天天可服务")
    make_agreement(student, world.ent_xa, allow_workdays=True)
    html = login(_user_of(student)).get("/me/progress").get_data(as_text=True)
    assert "在休息日" not in html and "允许每天服务" in html
