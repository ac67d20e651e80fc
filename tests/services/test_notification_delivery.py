"""Delivery (R34) through real parts: an SMTP server and a local HTTP SMS gateway."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from volunteer import clock
from volunteer.extensions import db
from volunteer.notifications import services
from volunteer.notifications.delivery import deliver_due
from volunteer.notifications.models import Delivery
from volunteer.notifications.services import Message, notify_and_commit

from .compliance_support import add_minutes_fixture  # noqa: F401
from .delivery_support import (  # noqa: F401
    delivering_fixture,
    sms_gateway_fixture,
    smtp_server_fixture,
)


def deliveries(user=None):
    stmt = select(Delivery).order_by(Delivery.id)
    if user is not None:
        stmt = stmt.where(Delivery.user_id == user.id)
    db.session.expire_all()
    return list(db.session.scalars(stmt))


def pace(user, key="k"):
    data = {"month": "2026-11", "needed_minutes": 600, "allowed_days_left": 4}
    data["run_starts_on"] = "2026-11-07"
    return Message(user.id, "pace_reminder", data, "/me/progress", key)


def staff_note(user, key="s"):
    return Message(user.id, "confirmations_pending", {"count": 2, "days": 3}, "/e", key)


def with_email(user, address):
    user.email = address
    db.session.commit()
    return user


def test_email_and_sms_arrive(world, delivering, smtp_server, sms_gateway, frozen):
    frozen("2026-11-06 10:00")
    with_email(world.ent_xa_staff, "boss@example.org")
    notify_and_commit([pace(world.stu_xa_user), staff_note(world.ent_xa_staff)])
    stats = deliver_due()
    assert (stats.sent, stats.retrying) == (2, 0)
    [mail] = smtp_server.messages
    assert mail["to"] == ["boss@example.org"]
    assert mail["subject"] == "有 2 条服务记录待确认"
    assert "http://localhost/e" in mail["text"]
    [sms] = sms_gateway.received
    assert sms["phone"] == world.stu_xa.phone
    assert sms["text"].startswith("【金秋助学】") and "10 小时" in sms["text"]
    assert all(d.status == "sent" for d in deliveries())
    # Sent once: the next run has nothing to do.
    assert deliver_due().sent == 0
    assert len(sms_gateway.received) == 1


def test_a_failure_is_retried_with_backoff(world, delivering, sms_gateway, frozen):
    frozen("2026-11-06 10:00")
    sms_gateway.fail_next = 2
    notify_and_commit([pace(world.stu_xa_user)])
    assert deliver_due().retrying == 1
    [d] = deliveries()
    assert (d.status, d.attempts) == ("pending", 1)
    assert d.next_attempt_at == clock.now() + timedelta(seconds=60)
    assert "500" in d.last_error
    assert deliver_due().sent == 0  # not due yet
    clock.advance(timedelta(seconds=61))
    assert deliver_due().retrying == 1
    [d] = deliveries()
    assert d.next_attempt_at == clock.now() + timedelta(seconds=120)  # doubled
    clock.advance(timedelta(seconds=121))
    assert deliver_due().sent == 1
    [d] = deliveries()
    assert (d.status, d.attempts, d.last_error) == ("sent", 3, None)
    assert len(sms_gateway.received) == 1


def test_provider_down_blocks_no_request_and_loses_nothing(
    world, delivering, sms_gateway, frozen, api, add_minutes
):
    frozen("2026-11-07 18:00")
    sms_gateway.stop()  # nothing listens on its port
    s = add_minutes(world.stu_xa, world.agr_xa, "2026-11-07", 120, status="pending")
    from volunteer.checkin import corrections

    c = corrections.request_correction(
        world.stu_xa_user, s.id, None, s.check_out_at + timedelta(minutes=30), "忘记签退"
    )
    # The enterprise's answer is a request: it is answered at once, whatever the provider.
    resp = api(world.ent_xa_staff).post(f"/corrections/{c.id}/accept", json={})
    assert resp.status_code == 200, resp.get_json()
    [d] = deliveries(world.stu_xa_user)
    assert d.status == "pending" and d.attempts == 0
    assert deliver_due().retrying == 1
    assert "sms" in deliveries()[0].last_error
    sms_gateway.start()
    clock.advance(timedelta(minutes=2))
    assert deliver_due().sent == 1
    [sms] = sms_gateway.received
    assert "已通过您对" in sms["text"]


def test_a_dead_worker_leaves_the_message_due_again(world, delivering, sms_gateway, frozen):
    from volunteer.notifications.delivery import LEASE, _claim

    frozen("2026-11-06 10:00")
    notify_and_commit([pace(world.stu_xa_user)])
    assert len(_claim(clock.now(), 10)) == 1  # claimed, then the worker died
    assert deliver_due().sent == 0
    clock.advance(LEASE + timedelta(seconds=1))
    assert deliver_due().sent == 1


def test_quiet_hours_defer_and_do_not_drop(world, delivering, sms_gateway, frozen):
    frozen("2026-11-06 23:10")
    notify_and_commit([pace(world.stu_xa_user)])
    [d] = deliveries()
    assert clock.to_local(d.next_attempt_at).isoformat() == "2026-11-07T08:00:00+08:00"
    assert deliver_due().deferred_quiet
    frozen("2026-11-07 07:59")
    assert deliver_due().sent == 0
    frozen("2026-11-07 08:00")
    assert deliver_due().sent == 1
    assert len(sms_gateway.received) == 1


def test_opt_out_keeps_the_inbox_and_stops_sms(world, delivering, sms_gateway, frozen):
    frozen("2026-11-06 10:00")
    services.save_preferences(world.stu_xa_user, None, ["pace_reminder"])
    notify_and_commit(
        [
            pace(world.stu_xa_user),
            Message(world.stu_xa_user.id, "correction_decided", {"outcome": "accepted"}, "/me"),
        ]
    )
    stats = deliver_due()
    assert (stats.sent, stats.opted_out) == (1, 1)
    [sms] = sms_gateway.received
    assert "已通过您对" in sms["text"]
    assert services.unread_count(world.stu_xa_user) == 2


def test_daily_cap_per_user(world, delivering, sms_gateway, frozen):
    frozen("2026-11-06 10:00")
    delivering.config["NOTIFY_DAILY_CAP"] = 2
    notify_and_commit([pace(world.stu_xa_user, f"k{i}") for i in range(3)])
    notify_and_commit([pace(world.stu_tc_user, "k0")])
    stats = deliver_due()
    assert (stats.sent, stats.capped) == (3, 1)
    assert [d.status for d in deliveries(world.stu_xa_user)] == ["sent", "sent", "capped"]
    frozen("2026-11-07 10:00")  # a new day: the cap starts again
    notify_and_commit([pace(world.stu_xa_user, "k9")])
    assert deliver_due().sent == 1


def test_no_message_carries_id_number_aid_or_hardship(
    world, delivering, smtp_server, sms_gateway, frozen, make_student, make_agreement
):
    from tests.conftest import valid_id_number
    from volunteer.notifications import reminders
    from volunteer.students.models import AidRecord

    frozen("2026-11-06 10:00")
    id_number = valid_id_number(777)
    student = make_student(
        "XA", "赵困难", id_number=id_number, family_hardship="父亲重病，家庭欠债八万元"
    )
    db.session.add(
        AidRecord(
            student_id=student.id,
            year=2026,
            amount_yuan=5000,
            category="key_university",
            created_at=clock.now(),
        )
    )
    db.session.commit()
    make_agreement(student, world.ent_xa, ends_on="2026-11-15")
    from volunteer.auth.models import User

    user = db.session.scalars(select(User).where(User.student_id == student.id)).one()
    with_email(user, "zhao@example.org")
    with_email(world.xa_staff, "xa@example.org")
    with_email(world.ent_xa_staff, "ent@example.org")
    reminders.send_reminders()
    # A free text that slipped an ID number in is masked before it is stored or sent.
    notify_and_commit([Message(user.id, "followup_assigned", {"student_name": id_number}, "/f")])
    deliver_due()
    texts = [m["subject"] + m["text"] for m in smtp_server.messages]
    texts += [s["text"] for s in sms_gateway.received]
    assert len(texts) >= 6
    for text in texts:
        assert id_number not in text
        assert "5000" not in text and "5,000" not in text
        assert "重病" not in text and "欠债" not in text
