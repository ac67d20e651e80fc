"""Cookies, login sessions, HSTS, CSRF and the password rules, seen from outside."""

from __future__ import annotations

import re

import pytest

from tests.conftest import PASSWORD
from volunteer import config as config_module
from volunteer.auth.passwords import verify_password
from volunteer.extensions import db

HTTPS = "https://localhost"


def _cookie_headers(resp) -> dict[str, str]:
    """Map each cookie set by a response to its whole Set-Cookie header."""
    out = {}
    for header in resp.headers.getlist("Set-Cookie"):
        out[header.split("=", 1)[0]] = header
    return out


def _attrs(header: str) -> set[str]:
    return {part.strip().split("=")[0].lower() for part in header.split(";")[1:]}


def _log_in(client, username: str = "xa_staff", **kw):
    return client.post("/login", data={"username": username, "password": PASSWORD}, **kw)


# --- cookies ---------------------------------------------------------------------------


def test_session_cookie_is_httponly_and_lax(client, world):
    resp = _log_in(client, "xa_staff")
    assert resp.status_code == 302
    header = _cookie_headers(resp)["session"]
    assert {"httponly", "path"} <= _attrs(header)
    assert "SameSite=Lax" in header
    assert "secure" not in _attrs(header)  # plain-HTTP development stays usable


def test_cookies_are_secure_when_configured(app_factory, world):
    from volunteer.checkin import kiosks

    _, link = kiosks.create_kiosk(world.ent_xa_staff, world.site_xa.id, "前台平板")
    db.session.remove()  # another app serves now: the test's session may not hold SQLite's lock
    app = app_factory(SESSION_COOKIE_SECURE=True)
    client = app.test_client()
    cookies = _cookie_headers(_log_in(client, "xa_staff", base_url=HTTPS))
    cookies |= _cookie_headers(client.get("/lang/en", base_url=HTTPS))
    tablet = app.test_client()
    cookies |= _cookie_headers(tablet.post(f"/kiosk/activate/{link}", base_url=HTTPS))
    assert set(cookies) >= {"session", "lang", kiosks.DEVICE_COOKIE}
    for name, header in cookies.items():
        assert {"secure", "httponly"} <= _attrs(header), name
        assert "SameSite=Lax" in header, name


@pytest.mark.parametrize(
    ("env", "secure"),
    [
        ({"BASE_URL": "https://zhuxue.example.cn"}, True),
        ({"BASE_URL": "http://127.0.0.1:5000"}, None),
        ({"BASE_URL": "https://zhuxue.example.cn", "SESSION_COOKIE_SECURE": "0"}, False),
        ({"SESSION_COOKIE_SECURE": "true"}, True),
    ],
)
def test_https_base_url_makes_cookies_secure(monkeypatch, env, secure):
    for key in ("BASE_URL", "SESSION_COOKIE_SECURE"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert config_module.from_environment().get("SESSION_COOKIE_SECURE") is secure


# --- HSTS ------------------------------------------------------------------------------


def test_hsts_only_over_https(client):
    secure = client.get("/login", base_url=HTTPS)
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")
    max_age = int(re.search(r"max-age=(\d+)", secure.headers["Strict-Transport-Security"])[1])
    assert max_age >= 180 * 24 * 3600
    # over plain HTTP the header would be meaningless (and is ignored by browsers)
    assert "Strict-Transport-Security" not in client.get("/login").headers
    assert "Strict-Transport-Security" in client.get("/api/v1/me", base_url=HTTPS).headers


# --- session protection ----------------------------------------------------------------


def test_session_protection_marks_a_replayed_cookie_stale(app, client, world):
    assert app.login_manager.session_protection in ("basic", "strong")
    ua = {"User-Agent": "Mozilla/5.0 (iPhone) 学生手机"}
    assert _log_in(client, "xa_staff", headers=ua).status_code == 302
    with client.session_transaction() as sess:
        assert sess["_fresh"] is True
        login_id = sess["_id"]
    # the same cookie from another browser: no longer a fresh login
    stolen = {"User-Agent": "curl/8.0"}
    client.get("/students", headers=stolen)
    with client.session_transaction() as sess:
        assert sess.get("_fresh") is False or "_user_id" not in sess
        assert sess.get("_id") in (login_id, None)


def test_logout_clears_the_login(client, world):
    _log_in(client, "xa_staff")
    assert client.get("/students").status_code == 200
    client.post("/logout")
    resp = client.get("/students")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_password_change_ends_other_browser_sessions(app, world):
    first, second = app.test_client(), app.test_client()
    _log_in(first, "xa_staff")
    _log_in(second, "xa_staff")
    resp = first.post(
        "/account/password",
        data={
            "old_password": PASSWORD,
            "new_password": "Fresh-Start-2026",
            "confirm": "Fresh-Start-2026",
        },
    )
    assert resp.status_code == 302
    assert first.get("/students").status_code == 200
    stale = second.get("/students")
    assert stale.status_code == 302 and "/login" in stale.headers["Location"]


# --- CSRF ------------------------------------------------------------------------------


def _csrf_token(client, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)[1]


@pytest.fixture
def csrf_app(app_factory, world):
    world.stu_xa_id = world.stu_xa.id
    db.session.remove()  # another app serves now: the test's session may not hold SQLite's lock
    return app_factory(WTF_CSRF_ENABLED=True)


def test_csrf_is_enforced_on_page_posts(csrf_app):
    client = csrf_app.test_client()
    refused = _log_in(client)
    assert refused.status_code == 400 and "csrf_failed" in refused.get_data(as_text=True)
    token = _csrf_token(client, "/login")
    ok = client.post(
        "/login", data={"username": "xa_staff", "password": PASSWORD, "csrf_token": token}
    )
    assert ok.status_code == 302
    # logged in, a forged form (no token) still changes nothing
    assert client.post("/logout").status_code == 400
    assert client.get("/students").status_code == 200
    forged = client.post("/students/new", data={"name": "伪造", "union_code": "XA"})
    assert forged.status_code == 400


def test_bearer_api_calls_need_no_csrf_token(csrf_app, world):
    client = csrf_app.test_client()
    resp = client.post("/api/v1/tokens", json={"username": "xa_staff", "password": PASSWORD})
    assert resp.status_code == 201
    token = resp.get_json()["token"]
    created = client.post(
        "/api/v1/exemptions",
        json={"student_id": world.stu_xa_id, "month": "2026-12", "reason": "住院"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert created.status_code == 201, created.get_json()


def test_api_ignores_the_login_cookie(csrf_app, world):
    """The API is CSRF-exempt because a cookie never authenticates it."""
    client = csrf_app.test_client()
    token = _csrf_token(client, "/login")
    client.post("/login", data={"username": "xa_staff", "password": PASSWORD, "csrf_token": token})
    assert client.get("/students").status_code == 200
    resp = client.post(
        "/api/v1/exemptions",
        json={"student_id": world.stu_xa_id, "month": "2026-12", "reason": "伪造"},
    )
    assert resp.status_code == 401
    assert resp.get_json()["error"]["code"] == "unauthorized"


# --- password rules through the pages --------------------------------------------------


@pytest.mark.parametrize(
    ("new", "reason"),
    [
        ("Sh0rt!", "至少"),
        ("xa_staff-2026", "用户名"),
        ("woaini1314", "常见"),
        ("aaaaaaaaaaaa", "常见"),
    ],
)
def test_password_rules_on_the_change_page(app, client, world, new, reason):
    _log_in(client, "xa_staff")
    resp = client.post(
        "/account/password", data={"old_password": PASSWORD, "new_password": new, "confirm": new}
    )
    assert resp.status_code == 200
    assert reason in resp.get_data(as_text=True)
    db.session.refresh(world.xa_staff)
    assert verify_password(world.xa_staff.password_hash, PASSWORD)


def test_password_rules_on_the_reset_page(app, client, world):
    _log_in(client, "xa_staff")
    target = world.stu_xa_user
    for bad, reason in (("12345678", "常见"), ("stu_xa-pass", "用户名"), ("short", "")):
        resp = client.post(f"/users/{target.id}/password-reset", data={"password": bad})
        assert resp.status_code == 200, bad
        assert reason in resp.get_data(as_text=True)
    db.session.refresh(target)
    assert verify_password(target.password_hash, PASSWORD)
    assert not target.must_change_password
    good = client.post(f"/users/{target.id}/password-reset", data={"password": "Xin-Mima-2026"})
    assert good.status_code == 302
    db.session.refresh(target)
    assert target.must_change_password
