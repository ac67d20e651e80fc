"""Fixtures: an app on a migrated database (SQLite, or VOLUNTEER_TEST_DB), cleaned per test."""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime
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
                # DELETE on tiny tables is ~100x cheaper than TRUNCATE; replica mode skips
                # the foreign-key triggers, and sequences restart so ids stay small.
                seqs = conn.execute(
                    text("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'")
                ).scalars()
                conn.exec_driver_sql(
                    "SET LOCAL session_replication_role = replica;"
                    + "".join(f"DELETE FROM {name};" for name in tables)
                    + "".join(f"SELECT setval('{seq}', 1, false);" for seq in seqs)
                )
            else:
                for name in tables:
                    conn.execute(text(f"DELETE FROM {name}"))


@pytest.fixture(scope="session")
def _base_app(_schema):
    """One app for the whole run: building one compiles ~150 routes (half a second)."""
    return create_app(test_config())


@pytest.fixture
def app_factory(_schema, _base_app):
    """Return a callable making extra apps with config overrides (slower; use sparingly).
    Its teardown empties the database after every test."""
    from volunteer.extensions import db, limiter

    made = []

    def make(**overrides):
        app = create_app(test_config(**overrides))
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    if made:
        # The limiter is one object shared by every app: give it back the base settings.
        limiter.init_app(_base_app)
    _truncate(_base_app, _schema)


@pytest.fixture
def app(_base_app, app_factory):
    """The shared app, inside an app context; its config is restored after the test."""
    from volunteer.extensions import db, limiter

    saved = dict(_base_app.config)
    limiter.init_app(_base_app)
    if limiter.enabled:
        with _base_app.app_context():
            limiter.reset()
    ctx = _base_app.app_context()
    ctx.push()
    yield _base_app
    db.session.remove()
    ctx.pop()
    _base_app.config.clear()
    _base_app.config.update(saved)


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

    def patch(self, path, json=None, **kw):
        return self.client.patch(
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


def valid_id_number(seq: int, birth: str = "20050101", area: str = "610102") -> str:
    """Return a valid resident ID number (GB 11643 check digit) for a sequence number."""
    from stdnum.cn import ric

    body = f"{area}{birth}{seq % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")  # stdnum reads a full 18-char number


def valid_credit_code(seq: int) -> str:
    """Return a valid unified social credit code (GB 32100 check digit)."""
    from stdnum.cn import uscc

    body = f"91610000{seq:09d}"[:17]
    code = body + uscc.calc_check_digit(body)
    assert uscc.is_valid(code), code
    return code


REGISTERED_AT = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.fixture
def make_student(app):
    """Create a student (and their account): make_student(union_code='XA', name='张三')."""
    from volunteer.auth.services import new_user
    from volunteer.extensions import db
    from volunteer.students.identity import IdCipher, mask_id_number
    from volunteer.students.models import Student

    def make(union_code, name=None, username=None, initial=False, **fields):
        n = next(_seq)
        id_number = fields.pop("id_number", None) or valid_id_number(n)
        from stdnum.cn import ric

        assert ric.is_valid(id_number), id_number
        cipher = IdCipher(app.config["ID_ENCRYPTION_KEY"])
        text_, key_id = cipher.encrypt(id_number)
        now = clock.now()
        student = Student(
            name=name or f"学生{n}",
            id_number_cipher=text_,
            id_key_id=key_id,
            id_number_hash=cipher.lookup_hash(id_number),
            id_number_masked=mask_id_number(id_number),
            phone=fields.pop("phone", f"138{n:08d}"[:11]),
            university=fields.pop("university", "西北大学"),
            union_code=union_code,
            # Registered before any month the tests look at (registration bounds the
            # months a student counts in), whatever the real date is.
            created_at=fields.pop("created_at", REGISTERED_AT),
            updated_at=now,
            **fields,
        )
        db.session.add(student)
        db.session.flush()
        new_user(
            None,
            username=username or f"stu{n}",
            password=PASSWORD,
            name=student.name,
            role="student",
            student_id=student.id,
            initial=initial,
        )
        db.session.commit()
        return student

    return make


@pytest.fixture
def make_enterprise(app):
    """Create an enterprise: make_enterprise(union_code='XA', capacity=10)."""
    from volunteer.enterprises.models import Enterprise
    from volunteer.extensions import db

    def make(union_code, name=None, **fields):
        n = next(_seq)
        now = clock.now()
        ent = Enterprise(
            name=name or f"爱心企业{n}",
            credit_code=fields.pop("credit_code", None) or valid_credit_code(n),
            union_code=union_code,
            capacity=fields.pop("capacity", 10),
            created_at=now,
            updated_at=now,
            **fields,
        )
        db.session.add(ent)
        db.session.commit()
        return ent

    return make


@pytest.fixture
def make_site(app):
    """Create a site with a secret: make_site(enterprise, latitude=.., longitude=.., radius_m=..)."""
    import secrets

    from volunteer.enterprises.models import Site
    from volunteer.extensions import db

    def make(enterprise, name=None, **fields):
        site = Site(
            enterprise_id=enterprise.id,
            name=name or "一号服务点",
            secret=secrets.token_hex(32),
            created_at=clock.now(),
            **fields,
        )
        db.session.add(site)
        db.session.commit()
        return site

    return make


@pytest.fixture
def make_agreement(app):
    """Create a signed agreement: make_agreement(student, enterprise, '2026-11-01', '2027-06-30')."""
    from datetime import date

    from volunteer.agreements.models import Agreement
    from volunteer.extensions import db

    def make(
        student, enterprise, starts_on="2026-09-01", ends_on="2027-06-30", signed=True, **fields
    ):
        kind = fields.pop("kind", "volunteer")
        now = clock.now()
        # Insured over its dates unless a test says otherwise (R37: uninsured days are flagged).
        fields.setdefault("insured_from", date.fromisoformat(starts_on))
        fields.setdefault("insured_to", date.fromisoformat(ends_on))
        agreement = Agreement(
            student_id=student.id,
            enterprise_id=enterprise.id,
            kind=kind,
            starts_on=date.fromisoformat(starts_on),
            ends_on=date.fromisoformat(ends_on),
            monthly_hours=fields.pop("monthly_hours", 24 if kind == "volunteer" else 0),
            allow_workdays=fields.pop("allow_workdays", kind == "internship"),
            student_signed_at=now if signed else None,
            enterprise_signed_at=now if signed else None,
            created_at=now,
            **fields,
        )
        db.session.add(agreement)
        db.session.commit()
        return agreement

    return make


@pytest.fixture
def world(make_union, make_user, make_student, make_enterprise, make_site, make_agreement):
    """A small province: SX → XA, TC; staff, an enterprise per city, students, agreements."""

    class World:
        pass

    w = World()
    w.sx = make_union("SX", "陕西省总工会")
    w.xa = make_union("XA", "西安市总工会", parent="SX")
    w.tc = make_union("TC", "铜川市总工会", parent="SX")
    w.sx_staff = make_user("union_staff", union_code="SX", username="sx_staff")
    w.xa_staff = make_user("union_staff", union_code="XA", username="xa_staff")
    w.tc_staff = make_user("union_staff", union_code="TC", username="tc_staff")
    w.ent_xa = make_enterprise("XA", "西安爱心科技有限公司", city="西安", industry="信息技术")
    w.ent_tc = make_enterprise("TC", "铜川爱心制造有限公司", city="铜川", industry="制造")
    w.ent_xa_staff = make_user("enterprise_staff", enterprise_id=w.ent_xa.id, username="ent_xa")
    w.ent_tc_staff = make_user("enterprise_staff", enterprise_id=w.ent_tc.id, username="ent_tc")
    w.site_xa = make_site(w.ent_xa, "高新区服务点")
    w.site_tc = make_site(w.ent_tc, "新区服务点")
    w.stu_xa = make_student("XA", "王小明", username="stu_xa", home_city="西安", major="计算机科学")
    w.stu_tc = make_student("TC", "李小红", username="stu_tc", home_city="铜川", major="会计")
    w.stu_xa_user = _user_of(w.stu_xa)
    w.stu_tc_user = _user_of(w.stu_tc)
    w.agr_xa = make_agreement(w.stu_xa, w.ent_xa)
    w.agr_tc = make_agreement(w.stu_tc, w.ent_tc)
    return w


def _user_of(student):
    from sqlalchemy import select

    from volunteer.auth.models import User
    from volunteer.extensions import db

    return db.session.scalars(select(User).where(User.student_id == student.id)).one()
