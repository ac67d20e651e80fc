"""Bad input everywhere: every route with hostile path and query values, wrong content
types, oversized bodies and broken uploads. Each gets a 4xx with a stable code (or a
form error), never a 5xx, and nothing is written."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD, Api
from volunteer.extensions import db

CONVERTER_RE = re.compile(r"<(?:(?P<conv>[a-z]+)(?:\((?P<args>[^)]*)\))?:)?(?P<name>\w+)>")
HUGE = "99999999999999999999"
# Hostile values for each kind of path parameter.
INT_VALUES = (HUGE, "2147483648", "9223372036854775808", "0")
TEXT_VALUES = ("2026-13", "2026-02-30", "abc", "0000-00", "9999-99-99", "-1", "%00", "x" * 300,
               "2026-1", "２０２６-１１", "true", "null")  # fmt: skip
QUERY_NAMES = ("month", "status", "q", "union_code", "union", "page", "per_page", "enterprise_id",
               "student_id", "site_id", "city", "since", "entity_id", "entity", "actor", "result",
               "list", "flag", "day", "starts_on", "ends_on", "reason", "next")  # fmt: skip
QUERY_VALUES = ("abc", "2026-13", "2026-02-30", HUGE, "-1", "0", "true", "x" * 2000, "1e9",
                "9999-12", "0001-01", "[]", "%", "\\\\")  # fmt: skip
API_CODES = {"bad_request", "validation_error", "import_invalid", "token_invalid", "token_expired",
             "unauthorized", "bad_credentials", "forbidden", "password_change_required",
             "not_found", "method_not_allowed", "payload_too_large", "rate_limited", "csrf_failed",
             "duplicate", "agreement_overlap", "capacity_full", "agreement_not_active",
             "no_active_agreement", "day_not_allowed", "site_inactive", "already_checked_in",
             "not_checked_in", "wrong_site", "token_reused", "month_closed", "month_not_over",
             "invalid_state", "conflict"}  # fmt: skip
# Tables that may grow during a sweep of refused requests: the scan log records every scan
# attempt (R14), the login throttle every attempt.
LOGS = {"scan_attempts", "login_attempts"}


def row_counts() -> dict[str, int]:
    """Count the rows of every table."""
    counts = {}
    for table in db.metadata.sorted_tables:
        counts[table.name] = db.session.scalar(select(func.count()).select_from(table))
    db.session.rollback()  # release SQLite's write lock (transactions begin immediate)
    return counts


def assert_nothing_written(before: dict[str, int]) -> None:
    after = row_counts()
    changed = {t: (before[t], after[t]) for t in before if before[t] != after[t] and t not in LOGS}
    assert not changed, f"rows written by refused requests: {changed}"


class Who:
    """A logged-in browser and a bearer token for one user."""

    def __init__(self, app, username: str) -> None:
        self.app = app
        self.client = app.test_client()
        with app.app_context():
            self.client.post("/login", data={"username": username, "password": PASSWORD})
            resp = self.client.post("/api/v1/tokens",
                                    json={"username": username, "password": PASSWORD})  # fmt: skip
        self.api = Api(self.client, resp.get_json()["token"])

    def send(self, method: str, path: str, **kw):
        with self.app.app_context():  # a fresh `g` per request, as in production
            if path.startswith("/api/"):
                kw.setdefault("headers", {})["Authorization"] = f"Bearer {self.api.token}"
            return self.client.open(path, method=method, **kw)


def _paths(rule: str, seen: dict) -> list[str]:
    """Fill a rule with each hostile value in turn (others from `seen`, a valid object)."""
    params = list(CONVERTER_RE.finditer(rule))
    out = []
    for target in params:
        values = INT_VALUES if target.group("conv") == "int" else TEXT_VALUES
        if target.group("conv") in ("any", "path"):
            continue
        for value in values:

            def repl(m, target=target, value=value):
                if m.group("name") == target.group("name"):
                    return value
                if m.group("conv") == "any":
                    return m.group("args").split(",")[0].strip().strip("'\"")
                return str(seen.get(m.group("name"), "1"))

            out.append(CONVERTER_RE.sub(repl, rule))
    return out


def _check(resp, label: str, problems: list[str]) -> None:
    if resp.status_code >= 500:
        problems.append(f"{label}: {resp.status_code}")
    elif resp.status_code >= 400 and resp.request.path.startswith("/api/"):
        body = resp.get_json(silent=True)
        code = (body or {}).get("error", {}).get("code") if isinstance(body, dict) else None
        if code not in API_CODES:
            problems.append(f"{label}: {resp.status_code} with code {code!r}")


@pytest.fixture
def hostile(app, world, frozen):
    frozen("2026-11-28 09:00")
    seen = {"student_id": world.stu_xa.id, "enterprise_id": world.ent_xa.id,
            "site_id": world.site_xa.id, "agreement_id": world.agr_xa.id, "code": "XA",
            "month": "2026-11", "day": "2026-12-05", "user_id": world.xa_staff.id}  # fmt: skip
    users = ("sx_staff", "ent_xa", "stu_xa")
    db.session.rollback()
    return seen, {name: Who(app, name) for name in users}


def test_hostile_path_parameters(app, hostile):
    """Huge ints (beyond PostgreSQL's integer), impossible dates and months, junk text."""
    seen, people = hostile
    before = row_counts()
    problems: list[str] = []
    for rule in app.url_map.iter_rules():
        methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        for path in _paths(rule.rule, seen):
            for method in methods:
                for name, who in people.items():
                    kw = {"json": {}} if path.startswith("/api/") and method != "GET" else {}
                    _check(who.send(method, path, **kw), f"{name} {method} {path}", problems)
    assert not problems, "\n".join(problems)
    assert_nothing_written(before)


def test_hostile_query_strings(app, hostile):
    """Every GET route with every known query argument set to junk."""
    seen, people = hostile
    before = row_counts()
    problems: list[str] = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.endpoint == "static":
            continue
        path = CONVERTER_RE.sub(
            lambda m: m.group("args").split(",")[0].strip().strip("'\"")
            if m.group("conv") == "any" else str(seen.get(m.group("name"), "1")),
            rule.rule,
        )  # fmt: skip
        for value in QUERY_VALUES:
            query = {name: value for name in QUERY_NAMES}
            for name, who in people.items():
                resp = who.send("GET", path, query_string=query)
                _check(resp, f"{name} GET {path}?…={value[:20]}", problems)
    assert not problems, "\n".join(problems)
    assert_nothing_written(before)
