"""POST /scan (R8–R12, R14): the token window, every refusal code in R11 order, nonces,
many students on one code, back-to-back sessions, and the scan log."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.checkin_support import code, later, poster, scan
from volunteer.checkin.models import ScanAttempt, ScanNonce, ServiceSession, SessionMonth
from volunteer.extensions import db


@pytest.fixture
def saturday(frozen):
    return frozen("2026-11-28 09:00:10")


@pytest.fixture
def stu(world, api):
    return api(world.stu_xa_user)


def attempts(**where):
    stmt = select(ScanAttempt)
    for key, value in where.items():
        stmt = stmt.where(getattr(ScanAttempt, key) == value)
    return db.session.scalars(stmt.order_by(ScanAttempt.id)).all()


def error_code(resp):
    return resp.get_json()["error"]["code"]


# --- success ---------------------------------------------------------------------------


def test_check_in_then_out(world, stu, saturday):
    resp = scan(stu, world.site_xa)
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["result"] == "checked_in"
    session = body["session"]
    assert session["status"] == "open"
    assert session["check_in_at"] == "2026-11-28T09:00:10+08:00"
    assert session["check_out_at"] is None
    assert session["site_id"] == world.site_xa.id
    assert session["agreement_id"] == world.agr_xa.id
    assert session["flags"] == []

    later(hours=2, minutes=5, seconds=40)
    resp = scan(stu, world.site_xa, "check_out")
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["result"] == "checked_out"
    assert body["session"]["id"] == session["id"]
    assert body["session"]["status"] == "pending"
    assert body["session"]["minutes"] == 125
    assert body["session"]["check_out_at"] == "2026-11-28T11:05:50+08:00"
    rows = db.session.scalars(select(SessionMonth)).all()
    assert [(r.month, r.minutes, r.status) for r in rows] == [("2026-11", 125, "pending")]
    results = [a.result for a in attempts(student_id=world.stu_xa.id)]
    assert results == ["checked_in", "checked_out"]


def test_scan_attempt_keeps_ip_agent_and_verdict(world, make_site, stu, saturday):
    site = make_site(world.ent_xa, "有坐标", latitude=34.2, longitude=108.9, radius_m=200)
    resp = stu.post(
        "/scan",
        json={"token": code(site), "action": "check_in", "latitude": 34.2005, "longitude": 108.9},
        headers={"User-Agent": "Phone/1.0"},
    )
    assert resp.status_code == 201
    (attempt,) = attempts()
    assert attempt.user_agent == "Phone/1.0"
    assert attempt.ip == "127.0.0.1"
    assert attempt.location_verdict == "location_inside"
    assert 50 < attempt.distance_m < 60
    assert attempt.token_kind == "rotating"


# --- the token window (R8) ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("steps_back", "status", "expected"),
    [
        (0, 201, None),
        (1, 201, None),
        (2, 400, "token_expired"),
        (5, 400, "token_expired"),
        (-1, 400, "token_invalid"),
        (-3, 400, "token_invalid"),
    ],
)
def test_token_window(world, stu, saturday, steps_back, status, expected):
    resp = scan(stu, world.site_xa, token=code(world.site_xa, steps_back=steps_back))
    assert resp.status_code == status, resp.get_json()
    if expected:
        assert error_code(resp) == expected
        assert attempts()[0].result == expected


def test_token_accepted_until_end_of_next_step(world, stu, saturday):
    token = code(world.site_xa)
    later(seconds=49)  # 09:00:59, still the next step
    assert scan(stu, world.site_xa, token=token).status_code == 201


def test_token_refused_once_two_steps_old(world, stu, saturday):
    token = code(world.site_xa)
    later(seconds=50)  # 09:01:00: the token's step is two behind
    resp = scan(stu, world.site_xa, token=token)
    assert resp.status_code == 400 and error_code(resp) == "token_expired"


@pytest.mark.parametrize(
    "token",
    ["", "garbage", "A" * 500, "Ugh!!", "UgAAAAEDeY5Hq0NmcPsXvxMlmF", "UAAAAAE" + "A" * 19],
)
def test_forged_or_unreadable_tokens(world, stu, saturday, token):
    resp = scan(stu, world.site_xa, token=token)
    assert resp.status_code == 400
    assert error_code(resp) == "token_invalid"


def test_token_signed_with_another_sites_secret(world, stu, saturday):
    from volunteer.checkin import tokens

    forged = tokens.make_rotating_token(
        world.site_xa.id, world.site_tc.secret, tokens.step_at(saturday)
    )
    resp = scan(stu, world.site_xa, token=forged)
    assert error_code(resp) == "token_invalid"


def test_altered_token(world, stu, saturday):
    token = code(world.site_xa)
    altered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    assert error_code(scan(stu, world.site_xa, token=altered)) == "token_invalid"


def test_unknown_site_in_token(world, stu, saturday):
    from volunteer.checkin import tokens

    token = tokens.make_rotating_token(99999, "whatever", tokens.step_at(saturday))
    assert error_code(scan(stu, world.site_xa, token=token)) == "token_invalid"


def test_rotated_secret_kills_rotating_and_poster_codes(world, api, stu, saturday):
    old_code, old_poster = code(world.site_xa), poster(world.site_xa)
    resp = api(world.ent_xa_staff).post(f"/sites/{world.site_xa.id}/rotate-secret")
    assert resp.status_code == 200
    assert error_code(scan(stu, world.site_xa, token=old_code)) == "token_invalid"
    assert error_code(scan(stu, world.site_xa, token=old_poster)) == "token_invalid"
    db.session.refresh(world.site_xa)
    assert scan(stu, world.site_xa).status_code == 201


# --- refusals in R11 order -------------------------------------------------------------


def test_site_inactive(world, stu, saturday):
    world.site_xa.is_active = False
    db.session.commit()
    resp = scan(stu, world.site_xa)
    assert resp.status_code == 409 and error_code(resp) == "site_inactive"


def test_expired_token_beats_inactive_site(world, stu, saturday):
    world.site_xa.is_active = False
    db.session.commit()
    resp = scan(stu, world.site_xa, token=code(world.site_xa, steps_back=3))
    assert error_code(resp) == "token_expired"


def test_already_checked_in_carries_the_open_session(world, make_site, stu, saturday):
    first = scan(stu, world.site_xa).get_json()["session"]
    later(seconds=30)
    other = make_site(world.ent_xa, "二号点")
    resp = scan(stu, other)
    assert resp.status_code == 409
    body = resp.get_json()
    assert body["error"]["code"] == "already_checked_in"
    assert body["session"]["id"] == first["id"]
    assert body["session"]["status"] == "open"


def test_not_checked_in(world, stu, saturday):
    resp = scan(stu, world.site_xa, "check_out")
    assert resp.status_code == 409 and error_code(resp) == "not_checked_in"


def test_wrong_site(world, make_site, stu, saturday):
    scan(stu, world.site_xa)
    later(seconds=30)
    other = make_site(world.ent_xa, "二号点")
    resp = scan(stu, other, "check_out")
    assert resp.status_code == 409 and error_code(resp) == "wrong_site"


def test_token_reused_same_step(world, stu, saturday):
    token = code(world.site_xa)
    assert scan(stu, world.site_xa, token=token).status_code == 201
    later(seconds=5)
    resp = scan(stu, world.site_xa, "check_out", token=token)
    assert resp.status_code == 409 and error_code(resp) == "token_reused"
    later(seconds=30)
    assert scan(stu, world.site_xa, "check_out").status_code == 200


def test_poster_reuse_within_60_seconds(world, stu, saturday):
    resp = scan(stu, world.site_xa, token=poster(world.site_xa))
    assert resp.status_code == 201
    assert resp.get_json()["session"]["flags"] == ["poster"]
    later(seconds=59)
    resp = scan(stu, world.site_xa, "check_out", token=poster(world.site_xa))
    assert error_code(resp) == "token_reused"
    later(seconds=2)
    resp = scan(stu, world.site_xa, "check_out", token=poster(world.site_xa))
    assert resp.status_code == 200
    assert resp.get_json()["session"]["flags"] == ["poster"]


def test_no_active_agreement(world, make_enterprise, make_site, stu, saturday):
    stranger = make_enterprise("XA", "无协议企业")
    site = make_site(stranger)
    resp = scan(stu, site)
    assert resp.status_code == 409 and error_code(resp) == "no_active_agreement"


def test_unsigned_agreement_is_not_active(
    world, make_enterprise, make_site, make_student, make_agreement, api, saturday
):
    student = make_student("XA", "未签")
    make_agreement(student, world.ent_xa, signed=False)
    from tests.conftest import _user_of

    resp = scan(api(_user_of(student)), world.site_xa)
    assert error_code(resp) == "no_active_agreement"


def test_ended_agreement(world, api, frozen):
    frozen("2027-07-03 09:00")  # a Saturday after 2027-06-30
    assert error_code(scan(api(world.stu_xa_user), world.site_xa)) == "no_active_agreement"


def test_day_not_allowed_on_a_workday(world, stu, frozen):
    frozen("2026-11-30 09:00")  # Monday
    resp = scan(stu, world.site_xa)
    assert resp.status_code == 409 and error_code(resp) == "day_not_allowed"


def test_override_makes_a_workday_allowed(world, stu, frozen):
    from datetime import date

    from volunteer.calendar.models import CalendarOverride

    frozen("2026-11-30 09:00")
    db.session.add(
        CalendarOverride(day=date(2026, 11, 30), kind="rest", created_at=frozen("2026-11-30 09:00"))
    )
    db.session.commit()
    assert scan(stu, world.site_xa).status_code == 201


def test_allow_workdays_agreement(world, make_student, make_agreement, api, frozen):
    from tests.conftest import _user_of

    frozen("2026-11-30 09:00")
    intern = make_student("XA", "实习生")
    make_agreement(intern, world.ent_xa, kind="internship")
    assert scan(api(_user_of(intern)), world.site_xa).status_code == 201


def test_holiday_allowed(world, stu, frozen):
    frozen("2026-10-01 10:00")  # National Day, a Thursday
    assert scan(stu, world.site_xa).status_code == 201


def test_refusal_order_state_before_agreement(world, make_enterprise, make_site, stu, frozen):
    frozen("2026-11-30 09:00")  # a workday, and no open session
    resp = scan(stu, world.site_xa, "check_out")
    assert error_code(resp) == "not_checked_in"  # state is judged before the day


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"action": "dance"}, "action"),
        ({"latitude": 91, "longitude": 0}, "latitude"),
        ({"latitude": 10}, "longitude"),
        ({"accuracy_m": -1}, "accuracy_m"),
        ({"nonce": "not ok!"}, "nonce"),
        ({"latitude": "34"}, "latitude"),
    ],
)
def test_validation_errors(world, stu, saturday, body, field):
    payload = {"token": code(world.site_xa), "action": "check_in", **body}
    resp = stu.post("/scan", json=payload)
    assert resp.status_code == 400
    error = resp.get_json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["fields"]
    assert db.session.scalar(select(func.count(ServiceSession.id))) == 0


def test_refusals_are_all_recorded(world, stu, saturday):
    scan(stu, world.site_xa, "check_out")
    scan(stu, world.site_xa, token="nonsense")
    scan(stu, world.site_xa, action="jump")
    results = [a.result for a in attempts(student_id=world.stu_xa.id)]
    assert results == ["not_checked_in", "token_invalid", "validation_error"]
    assert attempts()[0].site_id == world.site_xa.id


# --- roles -----------------------------------------------------------------------------


def test_only_students_scan(world, api, saturday):
    assert api().post("/scan", json={}).status_code == 401
    for user in (world.xa_staff, world.ent_xa_staff):
        resp = scan(api(user), world.site_xa)
        assert resp.status_code == 403


def test_initial_password_student_cannot_scan(world, make_student, api, saturday):
    from tests.conftest import _user_of

    fresh = make_student("XA", "新生", initial=True)
    resp = scan(api(_user_of(fresh)), world.site_xa)
    assert resp.status_code == 403
    assert error_code(resp) == "password_change_required"


# --- nonces (R10) ----------------------------------------------------------------------


def test_same_nonce_same_answer_nothing_new(world, stu, saturday):
    first = scan(stu, world.site_xa, nonce="tap-1")
    assert first.status_code == 201
    later(minutes=3)  # the token has expired meanwhile: the answer is replayed anyway
    again = stu.post(
        "/scan",
        json={"token": code(world.site_xa, steps_back=9), "action": "check_in", "nonce": "tap-1"},
    )
    assert again.status_code == 201
    assert again.get_json() == first.get_json()
    assert db.session.scalar(select(func.count(ServiceSession.id))) == 1
    assert len(attempts()) == 1


def test_same_nonce_replays_a_refusal(world, stu, saturday):
    first = scan(stu, world.site_xa, "check_out", nonce="tap-2")
    again = scan(stu, world.site_xa, "check_out", nonce="tap-2")
    assert first.status_code == again.status_code == 409
    assert first.get_json() == again.get_json()
    assert len(attempts()) == 1


def test_nonce_is_per_student(world, api, make_student, make_agreement, saturday):
    from tests.conftest import _user_of

    other = make_student("XA", "同学")
    make_agreement(other, world.ent_xa)
    a = scan(api(world.stu_xa_user), world.site_xa, nonce="same")
    b = scan(api(_user_of(other)), world.site_xa, nonce="same")
    assert a.status_code == b.status_code == 201
    assert a.get_json()["session"]["id"] != b.get_json()["session"]["id"]
    assert db.session.scalar(select(func.count(ScanNonce.id))) == 2


# --- many students, one code; back-to-back ---------------------------------------------


def test_many_students_share_one_code(world, api, make_student, make_agreement, saturday):
    from tests.conftest import _user_of

    token = code(world.site_xa)
    world.ent_xa.capacity = 50
    db.session.commit()
    ids = set()
    for n in range(8):
        student = make_student("XA", f"学生{n}")
        make_agreement(student, world.ent_xa)
        resp = scan(api(_user_of(student)), world.site_xa, token=token)
        assert resp.status_code == 201, resp.get_json()
        ids.add(resp.get_json()["session"]["id"])
    assert len(ids) == 8


def test_back_to_back_sessions(world, stu, saturday):
    scan(stu, world.site_xa)
    later(hours=1)
    first = scan(stu, world.site_xa, "check_out").get_json()["session"]
    later(seconds=30)
    second = scan(stu, world.site_xa).get_json()["session"]
    assert second["check_in_at"] > first["check_out_at"]
    later(hours=1)
    closed = scan(stu, world.site_xa, "check_out").get_json()["session"]
    assert first["minutes"] == 60 and closed["minutes"] == 60


def test_exact_back_to_back_manual_entries_do_not_overlap(world, api, saturday):
    ent = api(world.ent_xa_staff)
    base = {"student_id": world.stu_xa.id, "site_id": world.site_xa.id, "reason": "平板断网"}
    one = ent.post(
        "/sessions",
        json={
            **base,
            "check_in_at": "2026-11-28T06:00:00+08:00",
            "check_out_at": "2026-11-28T07:00:00+08:00",
        },
    )
    two = ent.post(
        "/sessions",
        json={
            **base,
            "check_in_at": "2026-11-28T07:00:00+08:00",
            "check_out_at": "2026-11-28T08:00:00+08:00",
        },
    )
    assert one.status_code == two.status_code == 201


# --- location flags (R9) ---------------------------------------------------------------


def test_location_flags(world, make_site, stu, saturday):
    site = make_site(world.ent_xa, "有坐标", latitude=34.0, longitude=108.0, radius_m=100)
    body = scan(stu, site, latitude=34.01, longitude=108.0).get_json()["session"]
    assert body["flags"] == ["location_outside"]
    assert 1100 < body["distance_m"] < 1120
    later(seconds=40)
    out = scan(stu, site, "check_out").get_json()["session"]
    assert out["flags"] == ["location_outside", "location_unverified"]
    session = db.session.get(ServiceSession, out["id"])
    assert (session.latitude, session.longitude) == (34.01, 108.0)


def test_site_without_coordinates_has_no_location_flag(world, stu, saturday):
    body = scan(stu, world.site_xa).get_json()["session"]
    assert body["flags"] == []


# --- rate limit ------------------------------------------------------------------------


def test_rate_limited_per_student(world, app_factory, frozen):
    from tests.conftest import PASSWORD, Api

    frozen("2026-11-28 09:00")
    token = code(world.site_xa)
    db.session.commit()  # end the outer app's transaction: SQLite has one writer at a time
    app = app_factory(RATELIMIT_ENABLED=True, SCAN_LIMIT="3/minute")
    with app.app_context():
        client = app.test_client()
        login = client.post("/api/v1/tokens", json={"username": "stu_xa", "password": PASSWORD})
        stu = Api(client, login.get_json()["token"])
        codes = [scan(stu, None, "check_out", token=token).status_code for _ in range(4)]
        assert codes == [409, 409, 409, 429]
        assert error_code(scan(stu, None, "check_out", token=token)) == "rate_limited"
        results = [a.result for a in attempts()]
        assert results.count("rate_limited") == 2
