"""Bad input everywhere: every route with hostile path and query values, wrong content
types, oversized bodies and broken uploads. Each gets a 4xx with a stable code (or a
form error), never a 5xx, and nothing is written."""

from __future__ import annotations

import inspect
import io
import json
import re

import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD, Api
from tests.route_matrix import ANY, PUBLIC, ROUTES, E, S, U
from volunteer.extensions import db

CONVERTER_RE = re.compile(r"<(?:(?P<conv>[a-z]+)(?:\((?P<args>[^)]*)\))?:)?(?P<name>\w+)>")
HUGE = "99999999999999999999"
# Hostile values for each kind of path parameter.
INT_VALUES = (HUGE, "2147483648", "9223372036854775808", "0")
TEXT_VALUES = (
    "2026-13",
    "2026-02-30",
    "abc",
    "0000-00",
    "9999-99-99",
    "-1",
    "%00",
    "x" * 300,
    "2026-1",
    "２０２６-１１",
    "true",
    "null",
)
QUERY_NAMES = (
    "month",
    "status",
    "q",
    "union_code",
    "union",
    "page",
    "per_page",
    "enterprise_id",
    "student_id",
    "site_id",
    "city",
    "since",
    "entity_id",
    "entity",
    "actor",
    "result",
    "list",
    "flag",
    "day",
    "starts_on",
    "ends_on",
    "reason",
    "next",
)
QUERY_VALUES = (
    "abc",
    "2026-13",
    "2026-02-30",
    HUGE,
    "-1",
    "0",
    "true",
    "x" * 2000,
    "1e9",
    "9999-12",
    "0001-01",
    "[]",
    "%",
    "\\\\",
)
API_CODES = {
    "bad_request",
    "validation_error",
    "import_invalid",
    "token_invalid",
    "token_expired",
    "unauthorized",
    "bad_credentials",
    "forbidden",
    "password_change_required",
    "not_found",
    "method_not_allowed",
    "payload_too_large",
    "rate_limited",
    "csrf_failed",
    "duplicate",
    "agreement_overlap",
    "capacity_full",
    "agreement_not_active",
    "no_active_agreement",
    "day_not_allowed",
    "site_inactive",
    "already_checked_in",
    "not_checked_in",
    "wrong_site",
    "token_reused",
    "month_closed",
    "month_not_over",
    "invalid_state",
    "conflict",
}
READ_ACTIONS = {"downloaded", "id_revealed"}
ROLE_OF = {"sx_staff": U, "ent_xa": E, "stu_xa": S}
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


def assert_nothing_written(before: dict[str, int], reads_audited: bool = False) -> None:
    """No table grew but the logs; with `reads_audited`, the audit log may hold reads that
    succeeded despite junk arguments (downloads and ID reveals are audited, R22)."""
    after = row_counts()
    logs = LOGS | {"audit_log"} if reads_audited else LOGS
    changed = {t: (before[t], after[t]) for t in before if before[t] != after[t] and t not in logs}
    assert not changed, f"rows written by refused requests: {changed}"
    if reads_audited:
        from volunteer.audit import AuditEntry

        newest = db.session.scalars(
            select(AuditEntry.action)
            .order_by(AuditEntry.id.desc())
            .limit(after["audit_log"] - before["audit_log"])
        )
        actions = set(newest)
        db.session.rollback()
        assert actions <= READ_ACTIONS, actions - READ_ACTIONS


class Who:
    """A logged-in browser and a bearer token for one user."""

    def __init__(self, app, username: str) -> None:
        self.app = app
        self.client = app.test_client()
        with app.app_context():
            self.client.post("/login", data={"username": username, "password": PASSWORD})
            resp = self.client.post(
                "/api/v1/tokens", json={"username": username, "password": PASSWORD}
            )
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
    seen = {
        "student_id": world.stu_xa.id,
        "enterprise_id": world.ent_xa.id,
        "site_id": world.site_xa.id,
        "agreement_id": world.agr_xa.id,
        "code": "XA",
        "month": "2026-11",
        "day": "2026-12-05",
        "user_id": world.xa_staff.id,
    }
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


def _allowed(key: str, people: dict) -> dict:
    """The sweep's users that the route lets in (its refusals are the matrix's business)."""
    access = ROUTES.get(key)
    if access is None or PUBLIC in access.who or ANY in access.who:
        return people
    return {n: w for n, w in people.items() if ROLE_OF[n] in access.who} or people


def _names_read(app, rule) -> list[str]:
    """The query arguments a page's view module reads (the API's are fuzzed from its
    document); quoted names in the module's source, and in the sources of the helpers it
    takes from its package that read request.args (checkin/filters.py), are a good
    enough guess."""
    if rule.rule.startswith("/api/"):
        return []
    module = inspect.getmodule(app.view_functions[rule.endpoint])
    sources = [inspect.getsource(module)]
    helpers = {inspect.getmodule(value) for value in vars(module).values() if callable(value)}
    for helper in helpers - {module, None}:
        if helper.__name__.startswith(f"{module.__package__}."):
            text = inspect.getsource(helper)
            if "request.args" in text:
                sources.append(text)
    source = "".join(sources)
    return [name for name in QUERY_NAMES if f'"{name}"' in source]


def test_hostile_query_strings(app, hostile):
    """Every GET route with every known query argument set to junk: all at once, then each
    alone (a view that stops at its first bad argument would hide the others)."""
    seen, people = hostile
    before = row_counts()
    problems: list[str] = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.endpoint == "static":
            continue
        path = CONVERTER_RE.sub(
            lambda m: (
                m.group("args").split(",")[0].strip().strip("'\"")
                if m.group("conv") == "any"
                else str(seen.get(m.group("name"), "1"))
            ),
            rule.rule,
        )
        queries = [{name: value for name in QUERY_NAMES} for value in QUERY_VALUES]
        queries += [{name: value} for name in _names_read(app, rule) for value in (HUGE, "0001-01")]
        for query in queries:
            for name, who in _allowed(f"GET {rule.rule}", people).items():
                resp = who.send("GET", path, query_string=query)
                _check(resp, f"{name} GET {path}?{str(query)[:60]}", problems)
    assert not problems, "\n".join(problems)
    assert_nothing_written(before, reads_audited=True)


# --- bodies: size, content type, types, unknown ids -------------------------------------

SIX_MB = 6 * 1024 * 1024


@pytest.fixture
def staff(app, world, frozen):
    frozen("2026-11-28 09:00")
    db.session.rollback()
    return {name: Who(app, name) for name in ("xa_staff", "sx_staff", "ent_xa", "stu_xa")}


def _student_body(**overrides):
    from tests.student_data import student_body

    return student_body(1, **overrides)


def test_oversized_json_body_is_413(staff):
    before = row_counts()
    body = json.dumps(_student_body(name="x" * SIX_MB))
    resp = staff["xa_staff"].send(
        "POST", "/api/v1/students", data=body, content_type="application/json"
    )
    assert resp.status_code == 413
    error = resp.get_json()["error"]
    assert error["code"] == "payload_too_large" and "5 MB" in error["message"]
    assert_nothing_written(before)


def test_oversized_form_post_is_413_page(staff):
    before = row_counts()
    resp = staff["xa_staff"].send("POST", "/students/new", data={"name": "x" * SIX_MB})
    assert resp.status_code == 413
    assert "上传内容过大：最多 5 MB。" in resp.get_data(as_text=True)
    assert_nothing_written(before)


def test_50_mb_csv_upload_is_refused_with_the_limit(staff):
    from tests.student_data import csv_file, import_row

    huge = csv_file([import_row(1)]) + b"x" * (50 * 1024 * 1024)
    before = row_counts()
    api = staff["xa_staff"].send(
        "POST",
        "/api/v1/students/import",
        data={"file": (io.BytesIO(huge), "名单.csv")},
        content_type="multipart/form-data",
    )
    assert api.status_code == 413
    assert api.get_json()["error"] == {
        "code": "payload_too_large",
        "message": "上传内容过大：最多 5 MB。",
    }
    page = staff["xa_staff"].send(
        "POST",
        "/students/import",
        data={"file": (io.BytesIO(huge), "名单.csv")},
        content_type="multipart/form-data",
    )
    assert page.status_code == 413
    assert "上传内容过大：最多 5 MB。" in page.get_data(as_text=True)
    assert_nothing_written(before)


BROKEN_UPLOADS = [
    ("照片.xlsx", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40),  # a renamed picture
    ("名单.xlsx", b"PK\x03\x04" + b"\x00" * 200),  # a broken zip
    ("名单.xlsx", b""),  # empty
    ("名单.csv", "姓名,身份证号,手机号\n张三,610102200501010011,13800000000\n".encode("gbk")),
    ("名单.csv", "姓名,身份证号\n张三,1\n".encode("utf-16")),
    ("名单.exe", b"MZ\x90\x00"),
]


@pytest.mark.parametrize(
    ("filename", "content"),
    BROKEN_UPLOADS,
    ids=["png-as-xlsx", "broken-zip", "empty", "gbk-csv", "utf16-csv", "exe"],
)
def test_broken_uploads(staff, filename, content):
    before = row_counts()
    who = staff["xa_staff"]
    api = who.send(
        "POST",
        "/api/v1/students/import",
        data={"file": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
    )
    assert api.status_code == 400
    error = api.get_json()["error"]
    assert error["code"] in ("import_invalid", "validation_error") and error["message"]
    page = who.send(
        "POST",
        "/students/import",
        data={"file": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
    )
    assert page.status_code in (200, 400)
    assert "导入成功" not in page.get_data(as_text=True)
    assert_nothing_written(before)


def test_gbk_csv_tells_how_to_fix_it(staff):
    content = "姓名,身份证号,手机号\n张三,610102200501010011,13800000000\n".encode("gbk")
    resp = staff["xa_staff"].send(
        "POST",
        "/api/v1/students/import",
        data={"file": (io.BytesIO(content), "名单.csv")},
        content_type="multipart/form-data",
    )
    error = resp.get_json()["error"]
    assert resp.status_code == 400 and error["code"] == "import_invalid"
    assert "UTF-8" in json.dumps(error, ensure_ascii=False)
    page = staff["xa_staff"].send(
        "POST",
        "/students/import",
        data={"file": (io.BytesIO(content), "名单.csv")},
        content_type="multipart/form-data",
    )
    assert "UTF-8" in page.get_data(as_text=True)


def _json_body_routes(app) -> list[tuple[str, str]]:
    """(method, rule) of the API routes that take a JSON body."""
    out = []
    for rule in app.url_map.iter_rules():
        doc = getattr(app.view_functions[rule.endpoint], "_api_doc", None)
        if doc and doc["body"] is not None:
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS", "GET"}):
                out.append((method, rule.rule))
    return sorted(out)


def _who_for(key: str, staff: dict) -> Who:
    access = ROUTES[key]
    if S in access.who and U not in access.who and E not in access.who:
        return staff["stu_xa"]
    if U in access.who or PUBLIC in access.who or ANY in access.who:
        return staff["sx_staff"]
    return staff["ent_xa"]


def test_form_encoded_and_wrong_bodies_to_json_endpoints(app, world, staff):
    """Form data, plain text, a JSON array, JSON null and invalid UTF-8: 400, nothing written."""
    seen = {
        "student_id": world.stu_xa.id,
        "enterprise_id": world.ent_xa.id,
        "site_id": world.site_xa.id,
        "agreement_id": world.agr_xa.id,
        "code": "XA",
        "month": "2026-11",
        "day": "2026-12-05",
        "user_id": world.xa_staff.id,
        "session_id": 1,
        "correction_id": 1,
        "exemption_id": 1,
        "case_id": 1,
        "anomaly_id": 1,
    }
    db.session.rollback()
    before = row_counts()
    problems = []
    bodies = [
        ({"data": {"name": "张三", "reason": "x"}}, "form-encoded"),
        ({"data": "name=张三", "content_type": "text/plain"}, "text/plain"),
        ({"data": "[1, 2]", "content_type": "application/json"}, "array"),
        ({"data": "null", "content_type": "application/json"}, "null"),
        ({"data": b'{"name": "\xff\xfe"}', "content_type": "application/json"}, "bad utf-8"),
        ({"data": '{"a": ' * 5000, "content_type": "application/json"}, "deep, cut"),
        ({"data": "[" * 100000 + "]" * 100000, "content_type": "application/json"}, "deep"),
        (
            {"data": '{"name":' * 200 + "1" + "}" * 200, "content_type": "application/json"},
            "200 deep",
        ),
    ]
    for method, rule in _json_body_routes(app):
        path = CONVERTER_RE.sub(lambda m: str(seen[m.group("name")]), rule)
        who = _who_for(f"{method} {rule}", staff)
        for kw, label in bodies:
            resp = who.send(method, path, **kw)
            error = (resp.get_json(silent=True) or {}).get("error", {})
            # 404: the path's object is not there (e.g. no session 1 yet); never 2xx or 5xx
            if resp.status_code not in (400, 404) or error.get("code") not in (
                "bad_request",
                "validation_error",
                "not_found",
            ):
                problems.append(f"{method} {path} {label}: {resp.status_code} {error}")
    assert not problems, "\n".join(problems)
    assert_nothing_written(before)


def _integer_fields(model) -> list[str]:
    """Fields of a body model that hold ids or numbers (integers, or lists of them)."""
    out = []
    for name, prop in model.model_json_schema().get("properties", {}).items():
        options = prop.get("anyOf", [prop])
        for option in options:
            if option.get("type") == "integer" or option.get("items", {}).get("type") == "integer":
                out.append(name)
                break
    return out


def test_booleans_and_strings_where_ids_are_expected(app, world, staff):
    """`true`, "1" and 1.0 where an integer is expected: 400 validation_error naming the
    field (API.md: types are strict), and nothing written."""
    seen = {
        "student_id": world.stu_xa.id,
        "enterprise_id": world.ent_xa.id,
        "site_id": world.site_xa.id,
        "agreement_id": world.agr_xa.id,
        "code": "XA",
        "month": "2026-11",
        "day": "2026-12-05",
        "user_id": world.xa_staff.id,
    }
    db.session.rollback()
    before = row_counts()
    problems, tried = [], 0
    for method, rule in _json_body_routes(app):
        if any(
            f"{name}_id" in rule
            for name in ("session", "correction", "exemption", "anomaly", "case")
        ):
            continue  # no such object in this world: 404 comes first
        model = app.view_functions[_endpoint(app, method, rule)]._api_doc["body"]
        path = CONVERTER_RE.sub(lambda m: str(seen[m.group("name")]), rule)
        who = _who_for(f"{method} {rule}", staff)
        for field in _integer_fields(model):
            for bad in (True, "1", 1.5, [True] if field == "ids" else None):
                if bad is None:
                    continue
                tried += 1
                # the other ids valid: a view may load them (404) before the whole body
                body = {f: seen[f] for f in _integer_fields(model) if f in seen}
                body[field] = bad
                resp = who.send(method, path, json=body)
                error = (resp.get_json(silent=True) or {}).get("error", {})
                named = [k for k in error.get("fields", {}) if k.split(".")[0] == field]
                if resp.status_code != 400 or not named:
                    problems.append(f"{method} {path} {field}={bad!r}: {resp.status_code} {error}")
    assert tried > 20
    assert not problems, "\n".join(problems)
    assert_nothing_written(before)


def _endpoint(app, method: str, rule: str) -> str:
    return next(
        r.endpoint
        for r in app.url_map.iter_rules()
        if r.rule == rule and method in (r.methods or ())
    )


AT = {
    "check_in_at": "2026-11-28T08:00:00+08:00",
    "check_out_at": "2026-11-28T09:00:00+08:00",
    "reason": "平板没电",
}
PERIOD = {"starts_on": "2027-07-01", "ends_on": "2027-08-01"}
# (who, method, path, body, status, code): {stu}, {ent}, {site} name the world's objects.
NAMED_CASES = [
    ("sx_staff", "GET", "/students/{stu}/months/2026-13", None, 400, "validation_error"),
    ("sx_staff", "GET", "/students/{stu}/months/abc", None, 400, "validation_error"),
    ("stu_xa", "GET", "/students/{stu}/months/2026-00", None, 400, "validation_error"),
    ("sx_staff", "GET", "/compliance?month=abc", None, 400, "validation_error"),
    ("sx_staff", "GET", "/compliance?month=2026-13", None, 400, "validation_error"),
    ("sx_staff", "GET", "/compliance?enterprise_id=" + HUGE, None, 400, "validation_error"),
    ("sx_staff", "PUT", "/calendar/2026-02-30", {"kind": "rest"}, 400, "validation_error"),
    ("sx_staff", "DELETE", "/calendar/2026-02-30", None, 400, "validation_error"),
    ("sx_staff", "GET", "/calendar?month=2026-13", None, 400, "validation_error"),
    ("sx_staff", "GET", "/sessions/" + HUGE, None, 404, "not_found"),
    ("ent_xa", "POST", "/sessions/" + HUGE + "/confirm", None, 404, "not_found"),
    ("sx_staff", "GET", "/students/" + HUGE, None, 404, "not_found"),
    ("sx_staff", "GET", "/sessions?student_id=" + HUGE, None, 400, "validation_error"),
    ("sx_staff", "GET", "/sessions?month=2026-13", None, 400, "validation_error"),
    ("sx_staff", "GET", "/students?per_page=100000", None, 400, "validation_error"),
    ("sx_staff", "GET", "/students?page=0", None, 400, "validation_error"),
    ("sx_staff", "GET", "/audit?since=garbage", None, 400, "validation_error"),
    (
        "sx_staff",
        "POST",
        "/agreements",
        {"student_id": 2**31 - 1, "enterprise_id": "{ent}", **PERIOD},
        404,
        "not_found",
    ),
    (
        "sx_staff",
        "POST",
        "/agreements",
        {"student_id": "{stu}", "enterprise_id": 2**31 - 1, **PERIOD},
        404,
        "not_found",
    ),
    (
        "sx_staff",
        "POST",
        "/agreements",
        {"student_id": int(HUGE), "enterprise_id": "{ent}", **PERIOD},
        400,
        "validation_error",
    ),
    (
        "sx_staff",
        "POST",
        "/agreements",
        {
            "student_id": "{stu}",
            "enterprise_id": "{ent}",
            "starts_on": "2027-02-30",
            "ends_on": "2027-08-01",
        },
        400,
        "validation_error",
    ),
    (
        "sx_staff",
        "POST",
        "/exemptions",
        {"student_id": 2**31 - 1, "month": "2026-11", "reason": "住院"},
        404,
        "not_found",
    ),
    (
        "sx_staff",
        "POST",
        "/exemptions",
        {"student_id": "{stu}", "month": "2026-13", "reason": "住院"},
        400,
        "validation_error",
    ),
    (
        "ent_xa",
        "POST",
        "/sessions",
        {"student_id": 2**31 - 1, "site_id": "{site}", **AT},
        404,
        "not_found",
    ),
    (
        "ent_xa",
        "POST",
        "/sessions",
        {"student_id": "{stu}", "site_id": 2**31 - 1, **AT},
        404,
        "not_found",
    ),
    (
        "ent_xa",
        "POST",
        "/sessions",
        {
            "student_id": "{stu}",
            "site_id": "{site}",
            **AT,
            "check_in_at": "2026-11-31T08:00:00+08:00",
        },
        400,
        "validation_error",
    ),
    ("ent_xa", "POST", "/sessions/confirm", {"ids": [2**31 - 1]}, 404, "not_found"),
    ("ent_xa", "POST", "/sessions/confirm", {"ids": [int(HUGE)]}, 400, "validation_error"),
    (
        "sx_staff",
        "POST",
        "/unions",
        {"code": "NEW", "name": "新工会", "parent_code": "ZZ"},
        404,
        "not_found",
    ),
    ("sx_staff", "POST", "/unions/XA/months/2026-13/close", None, 400, "validation_error"),
    ("sx_staff", "GET", "/unions/XA/reports/2026-13", None, 400, "validation_error"),
    ("sx_staff", "GET", "/enterprises/{ent}/reports/2026-13.csv", None, 400, "validation_error"),
    (
        "stu_xa",
        "POST",
        "/students/{stu}/certificates",
        {"from_month": "2026-13", "to_month": "2026-11"},
        400,
        "validation_error",
    ),
    ("stu_xa", "GET", "/certificates/" + HUGE + ".pdf", None, 404, "not_found"),
]


def _fill(value, ids: dict):
    if isinstance(value, str):
        for key, ident in ids.items():
            if value == "{" + key + "}":
                return ident
            value = value.replace("{" + key + "}", str(ident))
        return value
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


def test_named_bad_values(world, staff):
    """The classic hostile inputs, each with its exact status and stable code."""
    ids = {"stu": world.stu_xa.id, "ent": world.ent_xa.id, "site": world.site_xa.id}
    db.session.rollback()
    before = row_counts()
    problems = []
    for who, method, path, body, status, code in NAMED_CASES:
        kw = {} if body is None else {"json": _fill(body, ids)}
        resp = staff[who].send(method, "/api/v1" + _fill(path, ids), **kw)
        got = (resp.get_json(silent=True) or {}).get("error", {}).get("code")
        if (resp.status_code, got) != (status, code):
            problems.append(f"{who} {method} {path} {body}: {resp.status_code} {got}")
    assert not problems, "\n".join(problems)
    assert_nothing_written(before)
