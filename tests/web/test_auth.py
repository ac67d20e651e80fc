"""Accounts: tokens, me, passwords, the initial-password gate, throttling."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import PASSWORD
from volunteer import clock


def test_token_and_me(app, make_union, make_user, api):
    make_union("SX")
    user = make_user("union_staff", union_code="SX")
    me = api(user).get("/me")
    assert me.status_code == 200
    assert me.get_json()["username"] == user.username
    assert me.get_json()["role"] == "union_staff"


def test_bad_credentials_and_missing_token(app, make_union, make_user, client, api):
    make_union("SX")
    user = make_user("union_staff", union_code="SX")
    resp = client.post("/api/v1/tokens", json={"username": user.username, "password": "nope-nope"})
    assert resp.status_code == 401
    assert resp.get_json()["error"]["code"] == "bad_credentials"
    resp = client.post("/api/v1/tokens", json={"username": "ghost", "password": "whatever1"})
    assert resp.get_json()["error"]["code"] == "bad_credentials"
    assert api().get("/me").status_code == 401
    bad = client.get("/api/v1/me", headers={"Authorization": "Bearer not-a-token"})
    assert bad.status_code == 401 and bad.get_json()["error"]["code"] == "unauthorized"


def test_token_expires(app, make_union, make_user, api):
    make_union("SX")
    user = make_user("union_staff", union_code="SX")
    client = api(user)
    clock.advance(timedelta(hours=721))
    assert client.get("/me").status_code == 401


def test_password_change_revokes_tokens(app, make_union, make_user, api):
    make_union("SX")
    user = make_user("union_staff", union_code="SX")
    first = api(user)
    resp = first.post(
        "/me/password", json={"old_password": PASSWORD, "new_password": "Another-Pass-9"}
    )
    assert resp.status_code == 204
    assert first.get("/me").status_code == 401


def test_password_policy(app, make_union, make_user, api):
    make_union("SX")
    user = make_user("union_staff", union_code="SX")
    client = api(user)
    for bad in ("short", "12345678", user.username + "xyz!"):
        resp = client.post("/me/password", json={"old_password": PASSWORD, "new_password": bad})
        assert resp.status_code == 400, bad
        assert resp.get_json()["error"]["code"] == "validation_error"
        assert "new_password" in resp.get_json()["error"]["fields"]


def test_initial_password_gate_api(app, make_union, make_user, api):
    make_union("SX")
    user = make_user("union_staff", union_code="SX", initial=True)
    client = api(user)
    assert client.get("/me").status_code == 200
    resp = client.post("/unions", json={"code": "XA", "name": "西安", "parent_code": "SX"})
    assert resp.status_code == 403
    assert resp.get_json()["error"]["code"] == "password_change_required"
    resp = client.post(
        "/me/password", json={"old_password": PASSWORD, "new_password": "Brand-New-77"}
    )
    assert resp.status_code == 204


def test_initial_password_gate_pages(app, make_union, make_user, login):
    make_union("SX")
    user = make_user("union_staff", union_code="SX", initial=True)
    client = login(user)
    resp = client.get("/unions")
    assert resp.status_code == 302
    assert "/account/password" in resp.headers["Location"]
    resp = client.post(
        "/account/password",
        data={
            "old_password": PASSWORD,
            "new_password": "Brand-New-77",
            "confirm": "Brand-New-77",
            "next": "/unions",
        },
    )
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/unions")
    assert client.get("/unions").status_code == 200


def test_reset_password_in_scope_only(app, make_union, make_user, api):
    make_union("SX")
    make_union("XA", parent="SX")
    make_union("TC", parent="SX")
    province = make_user("union_staff", union_code="SX")
    xa = make_user("union_staff", union_code="XA")
    tc = make_user("union_staff", union_code="TC")
    assert (
        api(xa)
        .post(f"/users/{tc.id}/password-reset", json={"password": "Reset-Pass-1"})
        .status_code
        == 404
    )
    resp = api(province).post(f"/users/{tc.id}/password-reset", json={"password": "Reset-Pass-1"})
    assert resp.status_code == 204
    from volunteer.audit import AuditEntry
    from volunteer.extensions import db

    actions = [e.action for e in db.session.query(AuditEntry).filter_by(entity="user")]
    assert "password_reset" in actions
    me = api().client.post(
        "/api/v1/tokens", json={"username": tc.username, "password": "Reset-Pass-1"}
    )
    assert me.get_json()["user"]["must_change_password"] is True


def test_login_throttled_per_username(app_factory, make_union):
    app = app_factory(RATELIMIT_ENABLED=True, LOGIN_LIMIT=3)
    client = app.test_client()
    codes = []
    for _ in range(5):
        resp = client.post("/api/v1/tokens", json={"username": "nobody", "password": "wrong-pass"})
        codes.append(resp.status_code)
    assert codes[:3] == [401, 401, 401]
    assert codes[3] == 429
    assert (
        client.post("/api/v1/tokens", json={"username": "nobody", "password": "x"}).get_json()[
            "error"
        ]["code"]
        == "rate_limited"
    )


def test_login_page_in_chinese_and_english(client):
    resp = client.get("/login")
    assert "登录" in resp.get_data(as_text=True)
    client.get("/lang/en")
    resp = client.get("/login")
    assert resp.status_code == 200


def test_login_lockout_page_says_how_long_to_wait(app_factory, make_union):
    app = app_factory(RATELIMIT_ENABLED=True, LOGIN_LIMIT=2)
    client = app.test_client()
    for _ in range(4):
        resp = client.post("/login", data={"username": "nobody", "password": "wrong-pass"})
    assert resp.status_code == 429
    html = resp.get_data(as_text=True)
    assert "分钟后再试" in html, html[-1500:]  # the wait, in words a person reads
