"""R32: sessions no longer than MAX_SESSION_HOURS, a day above DAILY_CAP_HOURS confirmed
on the pages, and a month's exemptions within the student's gross requirement."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.report_support import add_session
from volunteer.checkin.models import ServiceSession
from volunteer.compliance.models import Exemption
from volunteer.extensions import db


@pytest.fixture
def saturday(frozen):
    return frozen("2026-11-29 23:00")  # the evening of Sunday 29 November


def manual(w, start: str, end: str, reason: str = "平板断网") -> dict:
    return {
        "student_id": w.stu_xa.id,
        "site_id": w.site_xa.id,
        "check_in_at": f"2026-11-{start}+08:00",
        "check_out_at": f"2026-11-{end}+08:00",
        "reason": reason,
    }


def test_manual_entry_longer_than_the_cap_is_400(world, api, saturday):
    ent = api(world.ent_xa_staff)
    resp = ent.post("/sessions", json=manual(world, "28T06:00:00", "28T19:00:00"))  # 13 h
    assert resp.status_code == 400
    error = resp.get_json()["error"]
    assert error["code"] == "validation_error" and "check_out_at" in error["fields"]
    assert db.session.scalar(select(ServiceSession.id)) is None
    resp = ent.post("/sessions", json=manual(world, "28T06:00:00", "28T18:00:00"))  # 12 h
    assert resp.status_code == 201


def test_adjustment_and_correction_longer_than_the_cap_are_400(world, api, saturday):
    s = add_session(world.agr_xa, world.site_xa, "2026-11-28 09:00", 60, status="pending")
    body = {
        "check_in_at": "2026-11-28T00:00:00+08:00",
        "check_out_at": "2026-11-28T20:00:00+08:00",
        "reason": "按实际",
    }
    resp = api(world.ent_xa_staff).post(f"/sessions/{s.id}/adjust", json=body)
    assert resp.status_code == 400 and "check_out_at" in resp.get_json()["error"]["fields"]
    resp = api(world.stu_xa_user).post(
        f"/sessions/{s.id}/corrections",
        json={
            "check_in_at": "2026-11-28T00:00:00+08:00",
            "check_out_at": "2026-11-28T20:00:00+08:00",
            "note": "x",
        },
    )
    assert resp.status_code == 400
    db.session.expire_all()
    assert db.session.get(ServiceSession, s.id).minutes == 60


def test_the_page_asks_to_confirm_a_day_above_the_daily_cap(world, login, api, saturday):
    add_session(world.agr_xa, world.site_xa, "2026-11-28 08:00", 360)  # 6 h already
    client = login(world.ent_xa_staff)
    form = {
        "student_id": str(world.stu_xa.id),
        "site_id": str(world.site_xa.id),
        "check_in_at": "2026-11-28T15:00",
        "check_out_at": "2026-11-28T18:00",
        "reason": "平板断网",
    }
    resp = client.post("/checkin/enterprise/sessions/new", data=form)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and 'name="confirm_long_day"' in page
    assert "合计 9.0 小时，超过每日 8 小时" in page
    assert db.session.scalar(select(ServiceSession).where(ServiceSession.flags == "manual")) is None
    resp = client.post("/checkin/enterprise/sessions/new", data={**form, "confirm_long_day": "y"})
    assert resp.status_code == 302
    assert db.session.scalar(select(ServiceSession).where(ServiceSession.flags == "manual"))
    # a day within the cap needs no second step
    form.update(check_in_at="2026-11-29T09:00", check_out_at="2026-11-29T11:00")
    assert client.post("/checkin/enterprise/sessions/new", data=form).status_code == 302


def test_the_adjust_page_asks_too(world, login, saturday):
    add_session(world.agr_xa, world.site_xa, "2026-11-28 08:00", 360)
    s = add_session(world.agr_xa, world.site_xa, "2026-11-28 15:00", 60, status="pending")
    client = login(world.ent_xa_staff)
    form = {"check_in_at": "2026-11-28T15:00", "check_out_at": "2026-11-28T18:30", "reason": "x"}
    resp = client.post(f"/checkin/sessions/{s.id}/adjust", data=form)
    assert resp.status_code == 400 and 'name="confirm_long_day"' in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ServiceSession, s.id).status == "pending"
    resp = client.post(f"/checkin/sessions/{s.id}/adjust", data={**form, "confirm_long_day": "y"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(ServiceSession, s.id).minutes == 210


def test_exemptions_stay_within_the_gross_requirement(world, api, saturday):
    xa = api(world.xa_staff)
    base = {"student_id": world.stu_xa.id, "month": "2026-11", "reason": "考试周"}
    resp = xa.post("/exemptions", json={**base, "minutes": 30 * 60})  # 30 h of 24 h
    assert resp.status_code == 400 and "minutes" in resp.get_json()["error"]["fields"]
    assert xa.post("/exemptions", json={**base, "minutes": 10 * 60}).status_code == 201
    assert xa.post("/exemptions", json={**base, "minutes": 15 * 60}).status_code == 400
    # without minutes: the rest (14 h), so that the month is exempt
    resp = xa.post("/exemptions", json=base)
    assert resp.status_code == 201
    row = xa.get(f"/students/{world.stu_xa.id}/months/2026-11").get_json()
    assert row["status"] == "exempt" and row["exempt_minutes"] == 24 * 60
    # nothing left to exempt
    assert xa.post("/exemptions", json={**base, "minutes": 1}).status_code == 400
    assert xa.post("/exemptions", json=base).status_code == 400
    assert db.session.query(Exemption).count() == 2
