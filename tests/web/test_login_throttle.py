"""R31: three counters of failed logins, pages never throttled, 400 for malformed bodies,
equal cost for unknown usernames, and a Redis that is down costs nothing but a warning."""

from __future__ import annotations

import logging
import time

import pytest

from tests.conftest import PASSWORD
from volunteer.auth import ratelimits


@pytest.fixture(autouse=True)
def _fresh_counters():
    ratelimits.reset_memory()
    yield
    ratelimits.reset_memory()


def _token(client, username, password="wrong-pass", address="127.0.0.10", **kw):
    kw.setdefault("json", {"username": username, "password": password})
    return client.post("/api/v1/tokens", environ_base={"REMOTE_ADDR": address}, **kw)


def _throttled_app(app_factory, **limits):
    cfg = {"LOGIN_LIMIT": 100, "LOGIN_USER_LIMIT": 100, "LOGIN_ADDRESS_LIMIT": 100}
    cfg.update(limits)
    return app_factory(RATELIMIT_ENABLED=True, **cfg)


def test_one_students_mistakes_do_not_lock_the_site_out(app_factory, make_union, make_user):
    app = _throttled_app(app_factory, LOGIN_LIMIT=3)
    client = app.test_client()
    make_union("SX")
    make_user("union_staff", union_code="SX", username="colleague")
    codes = [_token(client, "careless").status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    refused = _token(client, "careless", PASSWORD)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert refused.get_json()["error"]["code"] == "rate_limited"
    assert "分钟后再试" in refused.get_json()["error"]["message"]
    # The same Wi-Fi, another person: not affected.
    assert _token(client, "colleague", PASSWORD).status_code == 201
    # The same username from elsewhere: still counted on its own (higher) limit only.
    assert _token(client, "careless", address="127.0.0.11").status_code == 401
    # Opening the login page is never throttled.
    page = client.get("/login", environ_base={"REMOTE_ADDR": "127.0.0.10"})
    assert page.status_code == 200


def test_a_successful_login_forgets_the_owners_mistakes(app_factory, make_union, make_user):
    app = _throttled_app(app_factory, LOGIN_LIMIT=3, LOGIN_USER_LIMIT=5)
    client = app.test_client()
    make_union("SX")
    make_user("union_staff", union_code="SX", username="careless")
    assert [_token(client, "careless").status_code for _ in range(2)] == [401, 401]
    assert _token(client, "careless", PASSWORD).status_code == 201
    # Two more mistakes at the same place: not a wait, the slate was clean.
    assert [_token(client, "careless").status_code for _ in range(2)] == [401, 401]
    assert _token(client, "careless", PASSWORD).status_code == 201
    # The count across addresses was kept: a guesser elsewhere has one try left of five.
    assert _token(client, "careless", address="127.0.9.9").status_code == 401
    assert _token(client, "careless", address="127.0.9.8").status_code == 429


def test_guessing_spread_over_addresses_is_limited_per_username(app_factory):
    app = _throttled_app(app_factory, LOGIN_USER_LIMIT=4)
    client = app.test_client()
    codes = [_token(client, "target", address=f"127.0.1.{i}").status_code for i in range(6)]
    assert codes == [401, 401, 401, 401, 429, 429]
    assert _token(client, "someone-else", address="127.0.1.9").status_code == 401


def test_one_address_trying_many_usernames_is_limited(app_factory, make_union, make_user):
    app = _throttled_app(app_factory, LOGIN_ADDRESS_LIMIT=5)
    client = app.test_client()
    make_union("SX")
    make_user("union_staff", union_code="SX", username="bystander")
    codes = [_token(client, f"guess{i}", address="127.0.2.1").status_code for i in range(6)]
    assert codes == [401] * 5 + [429]
    assert _token(client, "bystander", PASSWORD, address="127.0.2.1").status_code == 429
    assert _token(client, "bystander", PASSWORD, address="127.0.2.2").status_code == 201


def test_the_login_page_says_how_long_to_wait(app_factory):
    app = _throttled_app(app_factory, LOGIN_LIMIT=2)
    client = app.test_client()
    env = {"REMOTE_ADDR": "127.0.3.1"}
    for _ in range(2):
        resp = client.post(
            "/login", data={"username": "ghost", "password": "x" * 8}, environ_base=env
        )
        assert resp.status_code == 200
    resp = client.post("/login", data={"username": "ghost", "password": "x" * 8}, environ_base=env)
    assert resp.status_code == 429
    assert int(resp.headers["Retry-After"]) > 0
    html = resp.get_data(as_text=True)
    assert "登录失败次数过多" in html and "分钟后再试" in html
    assert 'name="username"' in html  # the form is still there
    assert client.get("/login", environ_base=env).status_code == 200


def test_every_body_counts_as_json_whatever_its_content_type(app_factory, make_union, make_user):
    app = _throttled_app(app_factory, LOGIN_LIMIT=3)
    client = app.test_client()
    make_union("SX")
    make_user("union_staff", union_code="SX", username="plainbody")
    for _ in range(3):
        assert _token(client, "plainbody").status_code == 401
    body = f'{{"username": "plainbody", "password": "{PASSWORD}"}}'
    for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
        resp = _token(client, None, json=None, data=body, content_type=content_type)
        assert resp.status_code == 429, content_type


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100000,
        b"{" * 50000,
        b'{"username": "\\ud800", "password": "wrong-pass"}',
        b'{"username": "abc", "password": "\\udfff"}',
        b'{"username": ["a"], "password": "wrong-pass"}',
        b'{"username": "abc", "password": 12345678}',
        b'"just a string"',
        b"username=abc&password=wrong-pass",
        b"\xff\xfe\x00",
        b"null",
    ],
)
def test_malformed_token_bodies_are_400(app_factory, body):
    app = _throttled_app(app_factory)
    resp = app.test_client().post("/api/v1/tokens", data=body, content_type="application/json")
    assert resp.status_code == 400, resp.get_json()
    assert resp.get_json()["error"]["code"] in {"bad_request", "validation_error"}


@pytest.mark.parametrize("username", ["ab\x00c", "x" * 5000, "名字", " ", "a\u202eb"])
def test_odd_usernames_are_just_wrong(app_factory, username):
    app = _throttled_app(app_factory)
    resp = _token(app.test_client(), username)
    assert resp.status_code in (400, 401), resp.get_json()


def test_unknown_usernames_cost_a_password_check(app, client, make_union, make_user, monkeypatch):
    from volunteer.auth import services

    make_union("SX")
    user = make_user("union_staff", union_code="SX", username="known")
    calls = []
    real = services.verify_password
    monkeypatch.setattr(services, "verify_password", lambda h, p: calls.append(h) or real(h, p))
    assert _token(client, "unknown-user").status_code == 401
    assert _token(client, user.username).status_code == 401
    assert len(calls) == 2
    assert calls[0] != calls[1]  # a dummy hash of the same method for the unknown one
    assert calls[0].split("$")[0] == calls[1].split("$")[0]


def test_unknown_and_known_usernames_take_about_as_long(app_factory, make_union, make_user):
    method = "pbkdf2:sha256:300000"
    app = app_factory(PASSWORD_HASH_METHOD=method)
    client = app.test_client()
    make_union("SX")
    make_user("union_staff", union_code="SX", username="slowhash")
    _token(client, "warm-up")  # the dummy hash is made once per process

    def median(name: str) -> float:
        times = []
        for _ in range(5):
            start = time.perf_counter()
            assert _token(client, name).status_code == 401
            times.append(time.perf_counter() - start)
        return sorted(times)[2]

    known, unknown = median("slowhash"), median("no-such-user")
    assert unknown > 0.5 * known, (known, unknown)


def test_an_unreachable_redis_falls_back_to_memory(app_factory, world, caplog):
    from tests.checkin_support import scan
    from volunteer.extensions import db

    username, site = world.stu_xa_user.username, world.site_xa
    db.session.commit()  # end the outer app's transaction: SQLite has one writer at a time
    app = app_factory(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0",
        LOGIN_LIMIT=3,
        SCAN_LIMIT="100/minute",
    )
    client = app.test_client()
    caplog.set_level(logging.WARNING)
    assert client.get("/login").status_code == 200
    login = client.post("/login", data={"username": "ghost", "password": "x" * 8})
    assert login.status_code == 200
    resp = _token(client, username, PASSWORD)
    assert resp.status_code == 201, resp.get_json()
    from tests.conftest import Api

    stu = Api(client, resp.get_json()["token"])
    answer = scan(stu, site, token="not-a-code")
    assert answer.status_code < 500, answer.get_json()
    assert client.get("/s/whatever").status_code < 500
    codes = [_token(client, "ghost2").status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]  # still counted, in this process's memory
    assert any("unreachable" in r.getMessage() for r in caplog.records)
