"""The role × route matrix: every route of the URL map against seven actors (SPEC §3).

The table is tests/route_matrix.py. One world serves the whole matrix (a session, a
correction, a certificate, a kiosk, an exemption of XA's side), so the test makes each
request once per actor and reports every mismatch together.
"""

from __future__ import annotations

import json
import re

import jsonschema_rs
import pytest

from tests.checkin_support import code, later, scan
from tests.conftest import PASSWORD, Api
from tests.report_support import add_session
from tests.route_matrix import (
    ACTORS,
    FORBIDDEN,
    LAST,
    LOGIN,
    NOT_FOUND,
    OK,
    ROUTES,
    route_key,
)
from volunteer.extensions import db

CONVERTER_RE = re.compile(r"<(?:(?P<conv>[a-z]+)(?:\((?P<args>[^)]*)\))?:)?(?P<name>\w+)>")
MONTH = "2026-11"
HARDSHIP = "父亲工伤致残，母亲务农"
# Actors that only some routes name (in `expect`): a root union's officer, a paired tablet.
EXTRA_ACTORS = {"union_root": "sx_staff"}
AID_SHOWN = "5,173"  # the aid amount as the student page prints it
ACTOR_USERS = {
    "union": "xa_staff",
    "union_sibling": "tc_staff",
    "enterprise": "ent_xa_staff",
    "enterprise_other": "ent_tc_staff",
    "student": "stu_xa_user",
    "student_other": "stu_tc_user",
    **EXTRA_ACTORS,
}


def app_routes(app) -> set[str]:
    """Return every (method, rule) of the app as table keys."""
    keys = set()
    for rule in app.url_map.iter_rules():
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            keys.add(route_key(method, rule.rule))
    return keys


def test_every_route_is_in_the_table(app):
    routes = app_routes(app)
    missing = sorted(routes - set(ROUTES))
    stale = sorted(set(ROUTES) - routes)
    assert not missing, "routes missing from tests/route_matrix.py:\n" + "\n".join(missing)
    assert not stale, "tests/route_matrix.py lists routes that no longer exist:\n" + "\n".join(
        stale
    )


class Objects:
    """The XA-side objects that path parameters name, and how to fill each parameter."""

    def __init__(self, world, **ids) -> None:
        self.world = world
        self.ids = ids

    def value(self, name: str, conv: str | None, args: str | None) -> str:
        if conv == "any":
            return args.split(",")[0].strip().strip("'\"")
        if conv == "path":
            return "css/app.css"
        w = self.world
        simple = {
            "student_id": w.stu_xa.id,
            "enterprise_id": w.ent_xa.id,
            "site_id": w.site_xa.id,
            "agreement_id": w.agr_xa.id,
            "code": "XA",
            "language": "zh",
            "month": MONTH,
            "day": "2026-12-05",
        }
        if name in simple:
            return str(simple[name])
        if name == "site_token":
            db.session.refresh(w.site_xa)  # the matrix may have rotated its secret
            return code(w.site_xa)
        return str(self.ids[name])


def fill(rule: str, objects: Objects, overrides: dict[str, str]) -> str:
    """Fill a rule's path parameters from the world's objects."""

    def repl(m: re.Match) -> str:
        name = overrides.get(m.group("name"), m.group("name"))
        return objects.value(name, m.group("conv"), m.group("args"))

    return CONVERTER_RE.sub(repl, rule)


@pytest.fixture
def matrix_world(app, world, frozen, make_user, api):
    """The world plus a session, a correction, a certificate, a kiosk and an exemption."""
    from volunteer import clock
    from volunteer.checkin import kiosks
    from volunteer.students.models import AidRecord

    frozen("2026-11-28 09:00")  # a Saturday inside both agreements
    w = world
    w.stu_xa.family_hardship = HARDSHIP
    db.session.add(
        AidRecord(
            student_id=w.stu_xa.id,
            year=2026,
            amount_yuan=5173,
            category="regular",
            created_at=clock.now(),
        )
    )
    db.session.commit()
    clerk = make_user("union_staff", union_code="XA", username="xa_clerk")
    add_session(w.agr_xa, w.site_xa, "2026-10-10 09:00", 180)
    stu = api(w.stu_xa_user)
    assert scan(stu, w.site_xa).status_code == 201
    later(hours=3)
    session = scan(stu, w.site_xa, "check_out").get_json()["session"]
    correction = stu.post(
        f"/sessions/{session['id']}/corrections",
        json={"check_in_at": "2026-11-28T08:30:00+08:00", "note": "早到"},
    )
    assert correction.status_code == 201, correction.get_json()
    cert = stu.post(
        f"/students/{w.stu_xa.id}/certificates",
        json={"from_month": "2026-10", "to_month": "2026-10"},
    )
    assert cert.status_code == 201, cert.get_json()
    exemption = api(w.xa_staff).post(
        "/exemptions", json={"student_id": w.stu_xa.id, "month": "2026-12", "reason": "住院"}
    )
    assert exemption.status_code == 201, exemption.get_json()
    kiosk, _ = kiosks.create_kiosk(w.ent_xa_staff, w.site_xa.id, "前台平板")
    _, kiosk_token = kiosks.create_kiosk(w.ent_xa_staff, w.site_xa.id, "门口平板")
    _, device_token = kiosks.create_kiosk(w.ent_xa_staff, w.site_xa.id, "大厅平板")
    from volunteer.anomalies.models import Anomaly, AnomalyStudent

    anomaly = Anomaly(
        kind="long_day",
        key="matrix",
        enterprise_id=w.ent_xa.id,
        session_ids=[session["id"]],
        evidence={"date": "2026-11-28", "minutes": 700, "cap_minutes": 600, "sessions": []},
        detected_at=clock.now(),
        updated_at=clock.now(),
        students=[AnomalyStudent(student_id=w.stu_xa.id)],
    )
    db.session.add(anomaly)
    db.session.commit()
    calendar = api(w.sx_staff).put("/calendar/2026-12-05", json={"kind": "work", "name": "调休"})
    assert calendar.status_code == 200, calendar.get_json()
    from volunteer.followups.models import FollowUp
    from volunteer.notifications.services import Message, notify_and_commit

    notify_and_commit([Message(w.stu_xa_user.id, "correction_decided", {"outcome": "accepted"})])
    from volunteer.notifications.models import Notification

    notification_id = db.session.scalar(db.select(Notification.id))
    case = FollowUp(
        student_id=w.stu_xa.id,
        union_code="XA",
        month="2026-10",
        status="open",
        created_at=clock.now(),
        updated_at=clock.now(),
    )
    db.session.add(case)
    db.session.commit()
    from volunteer.database import ping
    from volunteer.jobs import enqueue

    job = enqueue("sample", ping, owner=w.xa_staff)
    objects = Objects(
        w,
        notification_id=notification_id,
        case_id=case.id,
        job_id=job.id,
        user_id=clerk.id,
        session_id=session["id"],
        correction_id=correction.get_json()["id"],
        certificate_id=cert.get_json()["id"],
        certificate_code=cert.get_json()["code"],
        exemption_id=exemption.get_json()["id"],
        kiosk_id=kiosk.id,
        anomaly_id=anomaly.id,
        kiosk_token=kiosk_token,
        device_token=device_token,
    )
    return w, objects


class Actor:
    """One actor's browser (logged in by cookie) and API token, on its own client."""

    def __init__(self, app, username: str | None) -> None:
        self.app = app
        self.client = app.test_client()
        self.api = Api(self.client)
        self.username = username
        if username is not None:
            self.login()
            with app.app_context():
                resp = self.client.post(
                    "/api/v1/tokens", json={"username": username, "password": PASSWORD}
                )
            assert resp.status_code == 201
            self.api.token = resp.get_json()["token"]

    def login(self) -> None:
        with self.app.app_context():
            resp = self.client.post(
                "/login", data={"username": self.username, "password": PASSWORD}
            )
        assert resp.status_code == 302

    def call(self, method: str, path: str):
        # A fresh app context per request: the test's own context would keep `g` (and
        # Flask-Login's cached user) from one actor's request to the next.
        with self.app.app_context():
            return self._call(method, path)

    def _call(self, method: str, path: str):
        if path.startswith("/api/v1"):
            sub = path[len("/api/v1") :]
            if method in ("POST", "PUT", "PATCH"):
                return getattr(self.api, method.lower())(sub, json={})
            return getattr(self.api, method.lower())(sub)
        kwargs = {"data": {}} if method in ("POST", "PUT", "PATCH") else {}
        return self.client.open(path, method=method, **kwargs)


def verdict(resp, path: str, expected: object) -> str | None:
    """Return a complaint when the answer does not match the expectation."""
    api = path.startswith("/api/")
    status = resp.status_code
    body = resp.get_json(silent=True) if api else None
    error = body.get("error") if isinstance(body, dict) else None  # a Job has "error": null
    code_ = error.get("code") if isinstance(error, dict) else None
    location = resp.headers.get("Location", "")
    if status >= 500:
        return f"{status} server error"
    if expected == LOGIN:
        if api and status == 401 and code_ == "unauthorized":
            return None
        if not api and status == 302 and "/login" in location:
            return None
    elif expected == FORBIDDEN:
        if status == 403 and (not api or code_ == "forbidden"):
            return None
    elif expected == NOT_FOUND:
        if status == 404 and (not api or code_ == "not_found"):
            return None
    elif expected == OK:
        refused = status in (401, 403, 404)
        sent_away = status in (301, 302, 303) and (
            "/login" in location or "/account/password" in location
        )
        if not refused and not sent_away:
            return None
    return f"got {status} {code_ or location or ''}".strip()


class Contract:
    """The OpenAPI document's response bodies, to check the API's successful answers."""

    def __init__(self, client) -> None:
        self.doc = client.get("/api/v1/openapi.json").get_json()
        self.components = self.doc["components"]["schemas"]
        self.checked = 0

    def _inline(self, schema):
        if isinstance(schema, dict):
            if "$ref" in schema:
                return self._inline(self.components[schema["$ref"].rsplit("/", 1)[1]])
            return {k: self._inline(v) for k, v in schema.items()}
        if isinstance(schema, list):
            return [self._inline(v) for v in schema]
        return schema

    def violations(self, method: str, rule: str, resp) -> list[str]:
        """Validate a 2xx JSON answer against the document's schema for its status."""
        if not rule.startswith("/api/v1") or not 200 <= resp.status_code < 300:
            return []
        path = CONVERTER_RE.sub(lambda m: "{" + m.group("name") + "}", rule[len("/api/v1") :])
        operation = self.doc["paths"][path][method.lower()]
        declared = operation["responses"].get(str(resp.status_code))
        if declared is None:
            return [f"status {resp.status_code} is not in the document"]
        schema = declared.get("content", {}).get("application/json", {}).get("schema")
        if schema is None or not resp.is_json:
            return []
        self.checked += 1
        validator = jsonschema_rs.Draft202012Validator(self._inline(schema))
        return [e.message for e in validator.iter_errors(resp.get_json())][:3]


def _order(keys):
    return sorted(keys, key=lambda k: (k in LAST, k))


def _private_data(resp, id_number: str) -> list[str]:
    """Name the private data in an answer: full ID number, family hardship, aid amounts (R28)."""
    ctype = resp.headers.get("Content-Type", "")
    if not ("json" in ctype or "html" in ctype or ctype.startswith("text/")):
        return []
    text = resp.get_data(as_text=True)
    found = [
        name
        for name, word in (
            ("id_number", id_number),
            ("hardship", HARDSHIP),
            ("aid_amount", AID_SHOWN),
        )
        if word in text
    ]
    if "json" in ctype and text.strip():
        keys = _json_keys(json.loads(text))
        found += sorted(f"key:{k}" for k in keys if k == "family_hardship" or "amount" in k)
    return found


def _json_keys(value) -> set[str]:
    if isinstance(value, dict):
        out = set(value)
        for item in value.values():
            out |= _json_keys(item)
        return out
    if isinstance(value, list):
        out = set()
        for item in value:
            out |= _json_keys(item)
        return out
    return set()


def test_role_route_matrix(app, matrix_world):
    """Every route answers every actor as the table says: 401/login → 403 → 404 → allowed."""
    from volunteer.students.services import id_cipher

    w, objects = matrix_world
    id_number = id_cipher().decrypt(w.stu_xa.id_number_cipher, w.stu_xa.id_key_id)
    users = {name: getattr(w, attr).username for name, attr in ACTOR_USERS.items()}
    db.session.rollback()
    actors = {"anon": Actor(app, None), "kiosk_device": Actor(app, None)}
    paired = actors["kiosk_device"].call("POST", f"/kiosk/activate/{objects.ids['device_token']}")
    assert paired.status_code in (200, 302), paired.status_code
    actors.update({name: Actor(app, users[name]) for name in ACTORS if name != "anon"})
    routes = app_routes(app)
    failures, leaks, shown = [], [], set()
    contract = Contract(actors["anon"].client)
    for key in _order(routes & set(ROUTES)):
        access = ROUTES[key]
        method, rule = key.split(" ", 1)
        names = [a for a in ACTORS if a not in access.expect] + list(access.expect)
        # refusals first: the allowed calls may change the objects' state
        if not access.in_order:
            names.sort(key=lambda a: access.expected(a) == OK)
        for name in names:
            if name not in actors:
                actors[name] = Actor(app, users[name])
            path = fill(rule, objects, access.params)
            db.session.rollback()  # end the test's own read: SQLite would keep it locked
            resp = actors[name].call(method, path)
            expected = access.expected(name)
            complaint = verdict(resp, path, expected)
            if complaint:
                failures.append(f"{key} as {name}: expected {expected}, {complaint}")
            for problem in contract.violations(method, rule, resp):
                failures.append(f"{key} as {name}: answer breaks the OpenAPI document: {problem}")
            # the OpenAPI document names fields, it holds no one's data
            found = [] if rule.endswith("openapi.json") else _private_data(resp, id_number)
            if name.startswith("union"):
                shown |= set(found)
            elif found and name != "anon":
                leaks.append(f"{name} {key}: {', '.join(found)}")
    assert not failures, f"{len(failures)} mismatches:\n" + "\n".join(failures)
    assert not leaks, "private data shown outside union staff:\n" + "\n".join(leaks)
    # the scan can see them: union staff are shown each one somewhere
    assert {"id_number", "hardship", "aid_amount"} <= shown, shown
    assert contract.checked > 50  # the successful API answers were held to the document
