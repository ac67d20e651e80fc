"""The inbox through the API and the pages: own notifications only, bell, preferences."""

from __future__ import annotations

from volunteer.extensions import db
from volunteer.notifications.services import Message, notify_and_commit


def note(user, kind="correction_decided", **data):
    return Message(user.id, kind, {"outcome": "accepted", **data}, "/checkin/me")


def test_api_lists_own_newest_first_and_reads(world, api, frozen):
    frozen("2026-11-06 10:00")
    notify_and_commit([note(world.stu_xa_user), note(world.stu_tc_user)])
    frozen("2026-11-06 11:00")
    notify_and_commit([note(world.stu_xa_user, outcome="declined")])
    me = api(world.stu_xa_user)
    body = me.get("/notifications?unread=true").get_json()
    assert body["total"] == 2 and body["unread"] == 2
    first, second = body["items"]
    assert first["data"]["outcome"] == "declined"
    assert set(first) >= {"id", "kind", "title", "body", "link", "data", "created_at", "read_at"}
    assert first["created_at"] == "2026-11-06T11:00:00+08:00"
    resp = me.post(f"/notifications/{second['id']}/read")
    assert resp.status_code == 200
    assert resp.get_json()["read_at"] == "2026-11-06T11:00:00+08:00"
    assert me.get("/notifications?unread=true").get_json()["total"] == 1
    assert me.get("/notifications").get_json()["total"] == 2
    # Another user's notification is not found; read-all leaves theirs alone.
    other = api(world.stu_tc_user).get("/notifications").get_json()["items"][0]
    assert me.post(f"/notifications/{other['id']}/read").status_code == 404
    assert me.post("/notifications/read-all").status_code == 204
    assert me.get("/notifications?unread=true").get_json()["total"] == 0
    assert api(world.stu_tc_user).get("/notifications?unread=true").get_json()["total"] == 1


def test_api_refuses_bad_input_and_anonymous(world, api):
    assert api().get("/notifications").status_code == 401
    me = api(world.xa_staff)
    resp = me.get("/notifications?unread=maybe")
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "validation_error"
    assert me.post("/notifications/999999/read").status_code == 404


def test_bell_inbox_and_link(world, login, client, frozen):
    frozen("2026-11-06 10:00")
    notify_and_commit([note(world.stu_xa_user), note(world.stu_xa_user)])
    login(world.stu_xa_user)
    page = client.get("/me/progress").get_data(as_text=True)
    assert 'data-unread="2"' in page and 'class="bell-count">2<' in page
    inbox = client.get("/notifications").get_data(as_text=True)
    assert "更正申请已通过" in inbox
    from sqlalchemy import select

    from volunteer.notifications.models import Notification

    first = db.session.scalars(select(Notification.id).order_by(Notification.id)).first()
    resp = client.post(f"/notifications/{first}/open")
    assert resp.status_code == 302 and resp.headers["Location"] == "/checkin/me"
    assert 'data-unread="1"' in client.get("/notifications").get_data(as_text=True)
    client.post("/notifications/read-all")
    assert 'data-unread="0"' in client.get("/notifications").get_data(as_text=True)


def test_bell_costs_one_query(world, login, client, app):
    from sqlalchemy import event

    login(world.stu_xa_user)
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        client.get("/me/progress")
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert sum("FROM notifications" in s for s in statements) == 1


def test_preferences_page_saves_email_and_opt_outs(world, login, client):
    login(world.ent_xa_staff)
    page = client.get("/notifications/preferences").get_data(as_text=True)
    assert "待确认的服务记录" in page and "服务进度提醒" not in page
    resp = client.post(
        "/notifications/preferences",
        data={"email": "boss@example.org", "opt_out": ["confirmations_pending"]},
    )
    assert resp.status_code == 302
    db.session.refresh(world.ent_xa_staff)
    assert world.ent_xa_staff.email == "boss@example.org"
    resp = client.post("/notifications/preferences", data={"email": "not an email"})
    assert resp.status_code == 200
    db.session.refresh(world.ent_xa_staff)
    assert world.ent_xa_staff.email == "boss@example.org"
    from volunteer.audit import AuditEntry

    assert db.session.query(AuditEntry).filter_by(action="preferences_changed").count() == 1


def test_delivery_log_for_staff_only(world, login, client, frozen):
    frozen("2026-11-06 10:00")
    notify_and_commit([note(world.stu_xa_user)])
    login(world.xa_staff)
    page = client.get("/notifications/deliveries").get_data(as_text=True)
    assert "王小明" in page and "138****" in page
    client.post("/logout")
    login(world.stu_xa_user)
    assert client.get("/notifications/deliveries").status_code == 403
