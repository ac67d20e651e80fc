"""Check-in services against a real database: the auto-close sweep, month rows kept in
step with every change, the scan grace, QR images, and the demo data's consistency."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.checkin_support import code, later
from volunteer import clock
from volunteer.checkin import services, sessions
from volunteer.checkin.models import ServiceSession, SessionMonth
from volunteer.errors import DomainError
from volunteer.extensions import db


@pytest.fixture
def saturday(frozen):
    return frozen("2026-11-28 09:00")


def check_in(world, student_user=None, site=None, **kw):
    return services.record_scan(
        student_user or world.stu_xa_user, code(site or world.site_xa), "check_in", **kw
    )


def test_close_stale_sessions_counts_and_is_idempotent(world, saturday):
    check_in(world)
    check_in(world, world.stu_tc_user, world.site_tc)
    assert services.close_stale_sessions() == 0
    later(hours=12)
    assert services.close_stale_sessions() == 2
    assert services.close_stale_sessions() == 0
    rows = db.session.scalars(select(ServiceSession)).all()
    assert {s.status for s in rows} == {"auto_closed"}
    assert all(s.check_out_at - s.check_in_at == timedelta(hours=12) for s in rows)


def test_cap_follows_config(world, app, saturday):
    app.config["MAX_SESSION_HOURS"] = 2
    check_in(world)
    later(hours=1, minutes=59)
    assert services.close_stale_sessions() == 0
    later(minutes=1)
    assert services.close_stale_sessions() == 1


def test_open_session_of_applies_r13_without_writing(world, saturday):
    result = check_in(world)
    later(hours=12)
    assert services.open_session_of(world.stu_xa.id) is None
    s = db.session.get(ServiceSession, result.session_id)
    assert s.status == "open"  # nothing stored by the read-only check


def test_month_rows_follow_status(world, saturday):
    result = check_in(world)
    later(hours=3)
    out = services.record_scan(world.stu_xa_user, code(world.site_xa), "check_out")
    sid = out.session_id

    def rows():
        db.session.expire_all()
        return [
            (r.month, r.minutes, r.status)
            for r in db.session.scalars(select(SessionMonth).where(SessionMonth.session_id == sid))
        ]

    assert result.session_id == sid
    assert rows() == [("2026-11", 180, "pending")]
    services.reject_session(world.ent_xa_staff, sid, "未到岗")
    assert rows() == [("2026-11", 0, "rejected")]
    services.adjust_session(
        world.ent_xa_staff,
        sid,
        clock.now() - timedelta(hours=2),
        clock.now() - timedelta(hours=1),
        "核实后改为一小时",
    )
    assert rows() == [("2026-11", 60, "confirmed")]


def test_sync_months_moves_rows_when_times_move(world, frozen):
    frozen("2026-12-02 10:00")
    from datetime import datetime
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Asia/Shanghai")
    s = services.enter_session(
        world.ent_xa_staff,
        world.stu_xa.id,
        world.site_xa.id,
        datetime(2026, 11, 28, 9, tzinfo=tz),
        datetime(2026, 11, 28, 10, tzinfo=tz),
        "补录",
    )
    services.adjust_session(
        world.ent_xa_staff,
        s.id,
        datetime(2026, 11, 30, 23, 30, tzinfo=tz),
        datetime(2026, 12, 1, 0, 45, tzinfo=tz),
        "改日期",
    )
    db.session.expire_all()
    rows = db.session.scalars(
        select(SessionMonth).where(SessionMonth.session_id == s.id).order_by(SessionMonth.month)
    ).all()
    assert [(r.month, r.minutes) for r in rows] == [("2026-11", 30), ("2026-12", 45)]


def test_grace_in_the_service(world, saturday):
    token = code(world.site_xa)
    first_seen = clock.now()
    later(minutes=2)
    with pytest.raises(DomainError) as refused:
        services.record_scan(world.stu_xa_user, token, "check_in")
    assert refused.value.code == "token_expired"
    result = services.record_scan(world.stu_xa_user, token, "check_in", first_seen_at=first_seen)
    assert result.status == 201


def test_grace_never_rescues_a_token_that_was_stale_when_first_seen(world, saturday):
    token = code(world.site_xa, steps_back=2)
    with pytest.raises(DomainError) as refused:
        services.record_scan(world.stu_xa_user, token, "check_in", first_seen_at=clock.now())
    assert refused.value.code == "token_expired"


def test_grace_ends(world, app, saturday):
    token = code(world.site_xa)
    first_seen = clock.now()
    later(seconds=app.config["SCAN_GRACE_SECONDS"] + 1)
    with pytest.raises(DomainError) as refused:
        services.record_scan(world.stu_xa_user, token, "check_in", first_seen_at=first_seen)
    assert refused.value.code == "token_expired"


def test_qr_svg_scales_and_encodes_version():
    svg = services.qr_svg("http://127.0.0.1:5000/s/UgAAAAEDeY5Hq0NmcPsXvxMlmF")
    assert svg.startswith("<svg") and "viewBox" in svg
    head = svg.split(">", 1)[0]
    assert "width=" not in head and "height=" not in head and "crispEdges" in head


def test_purge_keeps_recent_coordinates(world, make_site, saturday):
    site = make_site(world.ent_xa, "有坐标", latitude=34.0, longitude=108.0, radius_m=100)
    services.record_scan(world.stu_xa_user, code(site), "check_in", latitude=34.0, longitude=108.0)
    later(days=89)
    assert services.purge_locations() == 0
    later(days=2)
    assert services.purge_locations() == 1


def test_with_flags_merges_and_sorts():
    assert sessions.with_flags("", "poster", None) == "poster"
    assert sessions.with_flags("poster", "adjusted", "poster") == "adjusted,poster"
    assert sessions.with_flags("manual") == "manual"


def test_demo_seed_is_consistent(world, make_student, make_agreement, frozen):
    from volunteer.checkin import demo

    frozen("2026-11-28 18:00")
    for n in range(8):
        student = make_student("XA", f"演示{n}")
        make_agreement(student, world.ent_xa, "2026-09-01", "2027-06-30")
    world.ent_xa.capacity = 50
    db.session.commit()
    demo.seed()
    all_sessions = db.session.scalars(select(ServiceSession)).all()
    assert len(all_sessions) > 20
    statuses = {s.status for s in all_sessions}
    assert {"confirmed", "pending", "rejected", "auto_closed"} <= statuses
    flags = {f for s in all_sessions for f in s.flag_list}
    assert {"poster", "adjusted", "manual", "auto_closed"} <= flags
    # month rows add up to the counting sessions' minutes
    counted = sum(s.minutes for s in all_sessions if s.status in ("pending", "confirmed"))
    assert db.session.scalar(select(func.sum(SessionMonth.minutes))) == counted
    # no student has overlapping sessions, and at most one open
    by_student = {}
    for s in sorted(all_sessions, key=lambda s: s.check_in_at):
        by_student.setdefault(s.student_id, []).append(s)
    for rows in by_student.values():
        assert sum(1 for s in rows if s.status == "open") <= 1
        for a, b in zip(rows, rows[1:], strict=False):
            assert a.check_out_at is not None and a.check_out_at <= b.check_in_at
    # nothing ends in the future; running it again adds nothing
    assert all(s.check_out_at is None or s.check_out_at <= clock.now() for s in all_sessions)
    demo.seed()
    assert db.session.scalar(select(func.count(ServiceSession.id))) == len(all_sessions)
