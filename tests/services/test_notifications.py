"""Notifications (R34): the kinds, their rules, their frequency; send-reminders at most once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from volunteer import clock, events
from volunteer.auth.models import User
from volunteer.checkin import corrections, sessions
from volunteer.checkin.models import ServiceSession
from volunteer.extensions import db
from volunteer.notifications import reminders
from volunteer.notifications.models import Notification

from .compliance_support import add_minutes_fixture  # noqa: F401


def inbox(user, kind=None):
    stmt = select(Notification).where(Notification.user_id == user.id)
    if kind:
        stmt = stmt.where(Notification.kind == kind)
    return list(db.session.scalars(stmt.order_by(Notification.id)))


def count_all():
    return db.session.scalar(select(func.count(Notification.id)))


def test_pace_reminder_on_the_eve_of_allowed_days_and_only_once(world, add_minutes, frozen):
    frozen("2026-11-06 10:00")  # a Friday; the weekend of 7–8 November is allowed
    add_minutes(world.stu_tc, world.agr_tc, "2026-11-01", 1440)  # met: no reminder
    stats = reminders.send_reminders()
    assert stats.pace_reminder == 1
    [note] = inbox(world.stu_xa_user, "pace_reminder")
    assert note.data["month"] == "2026-11"
    assert note.data["needed_minutes"] == 1440
    assert note.data["allowed_days_left"] == 8
    assert "还需 24 小时" in note.body and "8" in note.body
    assert note.link == "/me/progress?month=2026-11"
    assert inbox(world.stu_tc_user, "pace_reminder") == []
    # Any later run on the same day (any hour) makes nothing new.
    frozen("2026-11-06 21:00")
    assert reminders.send_reminders().total() == 0
    # On the Saturday nobody is reminded; on the next Friday, again once.
    frozen("2026-11-07 10:00")
    assert reminders.send_reminders().pace_reminder == 0
    frozen("2026-11-13 09:00")
    assert reminders.send_reminders().pace_reminder == 1
    assert len(inbox(world.stu_xa_user, "pace_reminder")) == 2


def test_no_pace_reminder_for_a_month_already_missed(world, frozen):
    frozen("2026-11-27 10:00")  # 2 allowed days × 8 h < 24 h: the month is missed
    assert reminders.send_reminders().pace_reminder == 0


def test_confirmations_pending_at_most_once_a_day(world, add_minutes, frozen, make_user):
    frozen("2026-11-02 10:00")
    add_minutes(world.stu_xa, world.agr_xa, "2026-11-01", 120, status="pending")
    other = make_user("enterprise_staff", enterprise_id=world.ent_xa.id)
    frozen("2026-11-03 10:00")  # pending 2 days: not yet
    assert reminders.send_reminders().confirmations_pending == 0
    frozen("2026-11-04 12:00")  # pending longer than 3 days
    assert reminders.send_reminders().confirmations_pending == 2
    [note] = inbox(world.ent_xa_staff, "confirmations_pending")
    assert note.data == {"count": 1, "days": 3}
    assert note.link.startswith("/enterprise/sessions") or "status=pending" in note.link
    assert len(inbox(other, "confirmations_pending")) == 1
    assert inbox(world.ent_tc_staff) == []
    frozen("2026-11-04 20:00")
    assert reminders.send_reminders().confirmations_pending == 0
    frozen("2026-11-05 08:00")
    assert reminders.send_reminders().confirmations_pending == 2


def test_month_digest_once_per_month(world, add_minutes, frozen):
    frozen("2026-11-10 10:00")
    add_minutes(world.stu_xa, world.agr_xa, "2026-11-01", 1440)  # XA met; TC missed
    add_minutes(world.stu_tc, world.agr_tc, "2026-11-07", 90, status="pending")
    frozen("2026-12-01 03:00")
    stats = reminders.send_reminders()
    assert stats.month_digest == 3  # SX, XA, TC staff
    [sx] = inbox(world.sx_staff, "month_digest")
    assert sx.data == {"month": "2026-11", "missed": 1, "pending_minutes": 90, "unattested": 2}
    [xa] = inbox(world.xa_staff, "month_digest")
    assert (xa.data["missed"], xa.data["unattested"]) == (0, 1)
    [tc] = inbox(world.tc_staff, "month_digest")
    assert (tc.data["missed"], tc.data["pending_minutes"]) == (1, 90)
    frozen("2026-12-01 04:00")
    assert reminders.send_reminders().month_digest == 0


def test_agreement_ending_tells_student_enterprise_and_union(world, make_agreement, frozen):
    frozen("2026-11-02 10:00")
    stu = world.stu_xa
    agreement = world.agr_xa
    agreement.ends_on = clock.today() + timedelta(days=20)
    db.session.commit()
    assert reminders.send_reminders().agreement_ending == 0
    frozen("2026-11-08 10:00")  # 14 days before ends_on
    assert reminders.send_reminders().agreement_ending == 3
    for user in (world.stu_xa_user, world.ent_xa_staff, world.xa_staff):
        [note] = inbox(user, "agreement_ending")
        assert note.data["ends_on"] == "2026-11-22"
        assert note.data["student_name"] == stu.name
    assert inbox(world.tc_staff, "agreement_ending") == []
    assert inbox(world.sx_staff, "agreement_ending") == []
    frozen("2026-11-09 10:00")
    assert reminders.send_reminders().agreement_ending == 0


def test_auto_closed_session_tells_the_student_with_a_link_to_correct_it(world, frozen):
    frozen("2026-11-07 08:00")
    now = clock.now()
    s = ServiceSession(
        student_id=world.stu_xa.id,
        enterprise_id=world.ent_xa.id,
        site_id=world.site_xa.id,
        agreement_id=world.agr_xa.id,
        check_in_at=now,
        status="open",
        flags="",
        minutes=0,
        created_at=now,
        updated_at=now,
    )
    db.session.add(s)
    db.session.commit()
    clock.advance(timedelta(hours=13))
    assert sessions.close_stale_sessions() == 1
    [note] = inbox(world.stu_xa_user, "session_auto_closed")
    assert note.link == f"/checkin/sessions/{s.id}/correction"
    assert note.data["on"] == "2026-11-07"
    assert world.ent_xa.name in note.body


def test_correction_decided_tells_the_student(world, add_minutes, frozen):
    frozen("2026-11-07 18:00")
    s = add_minutes(world.stu_xa, world.agr_xa, "2026-11-07", 120, status="pending")
    c = corrections.request_correction(
        world.stu_xa_user, s.id, None, s.check_out_at + timedelta(minutes=30), "忘记签退"
    )
    corrections.decline_correction(world.ent_xa_staff, c.id, "时间不对")
    [note] = inbox(world.stu_xa_user, "correction_decided")
    assert note.data["outcome"] == "declined"
    assert note.title == "更正申请未通过"


def test_attestation_stale_and_certificate_superseded_receivers(world):
    events.attestation_changed.send(world.ent_xa.id, month="2026-10", status="stale", actor=None)
    events.attestation_changed.send(world.ent_xa.id, month="2026-10", status="current", actor=None)
    [note] = inbox(world.ent_xa_staff, "attestation_stale")
    assert note.link == "/reports/enterprise?month=2026-10"
    assert inbox(world.ent_tc_staff) == []


@pytest.mark.parametrize("role", ["student", "enterprise_staff", "union_staff"])
def test_notify_writes_nothing_twice_for_one_key(world, role):
    from volunteer.notifications.services import Message, notify

    user = {"student": world.stu_xa_user, "enterprise_staff": world.ent_xa_staff}.get(
        role, world.xa_staff
    )
    message = Message(user.id, "agreement_ending", {"ends_on": "2026-12-01"}, "/x", "k1")
    assert notify([message, message]) == 1
    db.session.commit()
    assert notify([message]) == 0
    assert count_all() == 1
    assert db.session.get(User, user.id) is not None


def test_cli_send_reminders_and_deliver(world, app, frozen):
    frozen("2026-11-06 10:00")
    runner = app.test_cli_runner()
    first = runner.invoke(args=["send-reminders"])
    assert first.exit_code == 0 and "pace 2" in first.output
    again = runner.invoke(args=["send-reminders"])
    assert "pace 0, confirmations 0, digests 0, agreements ending 0" in again.output
    sent = runner.invoke(args=["deliver-notifications"])
    assert "sent 2" in sent.output  # the logging SMS provider of development
    frozen("2026-11-06 23:00")
    quiet = runner.invoke(args=["deliver-notifications"])
    assert "quiet hours" in quiet.output
