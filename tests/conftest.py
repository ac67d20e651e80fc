"""Fixtures: an app on a migrated database (SQLite, or VOLUNTEER_TEST_DB), cleaned per test."""

from __future__ import annotations

import os
import tempfile
from datetime import datetime
from itertools import count

import pytest
from sqlalchemy import create_engine, text

from volunteer import clock, create_app
from volunteer.config import normalize_database_url

TEST_DB = os.environ.get("VOLUNTEER_TEST_DB", "").strip()
PASSWORD = "Passw0rd-Test"
_tmpdir = tempfile.mkdtemp(prefix="volunteer-tests-")


def _database_url() -> str:
    if TEST_DB:
        return normalize_database_url(TEST_DB)
    return f"sqlite:///{_tmpdir}/test.sqlite"


def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def test_config(**overrides):
    """Return the configuration mapping used by the tests."""
    cfg = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": _database_url(),
        "SECRET_KEY": "test-secret",
        "ID_ENCRYPTION_KEY": "test-id-key",
        "RATELIMIT_ENABLED": False,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "WTF_CSRF_ENABLED": False,
        "BASE_URL": "http://localhost",
        "SERVER_NAME": None,
    }
    cfg.update(overrides)
    return cfg


@pytest.fixture(scope="session")
def _schema():
    url = _database_url()
    if url.startswith("postgresql"):
        _reset_postgres(url)
    app = create_app(test_config())
    with app.app_context():
        from flask_migrate import upgrade

        upgrade(directory=os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations"))
        from volunteer.extensions import db

        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    yield tables


def _truncate(app, tables) -> None:
    from volunteer.extensions import db

    with app.app_context():
        db.session.remove()
        engine = db.engine
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            else:
                for name in tables:
                    conn.execute(text(f"DELETE FROM {name}"))


@pytest.fixture
def app_factory(_schema):
    """Return a callable making apps on the test database with config overrides."""
    made = []

    def make(**overrides):
        app = create_app(test_config(**overrides))
        made.append(app)
        return app

    yield make
    if made:
        _truncate(made[0], _schema)
    for app in made:
        with app.app_context():
            from volunteer.extensions import db

            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(app_factory):
    app = app_factory()
    ctx = app.app_context()
    ctx.push()
    yield app
    ctx.pop()


@pytest.fixture(autouse=True)
def _clock():
    clock.freeze(None)
    yield
    clock.freeze(None)


@pytest.fixture
def frozen():
    """Freeze the clock at a local time: frozen('2026-11-28 09:00')."""

    def freeze(local: str) -> datetime:
        from zoneinfo import ZoneInfo

        at = datetime.fromisoformat(local).replace(tzinfo=ZoneInfo("Asia/Shanghai"))
        clock.freeze(at)
        return at

    return freeze


@pytest.fixture
def client(app):
    return app.test_client()


_seq = count(1)


@pytest.fixture
def make_union(app):
    """Create a union: make_union('XA', parent='SX')."""
    from volunteer.unions.services import create_union

    def make(code=None, name=None, parent=None):
        code = code or f"U{next(_seq)}"
        return create_union(None, code, name or f"{code}工会", parent)

    return make


@pytest.fixture
def make_user(app):
    """Create an account: make_user('union_staff', union_code='SX', initial=False)."""
    from volunteer.auth.services import new_user
    from volunteer.extensions import db

    def make(role="union_staff", username=None, initial=False, **links):
        user = new_user(
            None,
            username=username or f"user{next(_seq)}",
            password=PASSWORD,
            name=links.pop("name", "测试用户"),
            role=role,
            initial=initial,
            **links,
        )
        db.session.commit()
        return user

    return make


class Api:
    """A JSON client with a bearer token."""

    def __init__(self, client, token=None):
        self.client = client
        self.token = token

    def _headers(self, headers=None):
        out = dict(headers or {})
        if self.token:
            out["Authorization"] = f"Bearer {self.token}"
        return out

    def get(self, path, **kw):
        return self.client.get(
            "/api/v1" + path, headers=self._headers(kw.pop("headers", None)), **kw
        )

    def delete(self, path, **kw):
        return self.client.delete(
            "/api/v1" + path, headers=self._headers(kw.pop("headers", None)), **kw
        )

    def post(self, path, json=None, **kw):
        return self.client.post(
            "/api/v1" + path, json=json, headers=self._headers(kw.pop("headers", None)), **kw
        )

    def put(self, path, json=None, **kw):
        return self.client.put(
            "/api/v1" + path, json=json, headers=self._headers(kw.pop("headers", None)), **kw
        )


@pytest.fixture
def api(client):
    """Return a callable: api(user) → an Api client logged in as that user (None: anonymous)."""

    def for_user(user=None):
        if user is None:
            return Api(client)
        resp = client.post("/api/v1/tokens", json={"username": user.username, "password": PASSWORD})
        assert resp.status_code == 201, resp.get_json()
        return Api(client, resp.get_json()["token"])

    return for_user


@pytest.fixture
def login(client):
    """Log the browser client in as a user."""

    def do(user):
        resp = client.post("/login", data={"username": user.username, "password": PASSWORD})
        assert resp.status_code == 302, resp.data[:500]
        return client

    return do
