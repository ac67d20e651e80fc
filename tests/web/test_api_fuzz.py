"""Fuzz the JSON API from its own OpenAPI document (schemathesis, in-process).

Every documented operation gets a bounded, derandomized set of generated requests, as a
union officer of the root union (everything in scope) and as a student. No answer may be
a 5xx, and every answer must match the document (status described, body shape).
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.checkin_support import later, scan
from tests.report_support import add_session
from volunteer.extensions import db

CHECKS = [not_a_server_error, response_schema_conformance]
FUZZ = settings(
    max_examples=20,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def fuzz_world(world, api, frozen):
    """The world with a session, a correction and confirmed hours, and two bearer tokens."""
    frozen("2026-11-28 09:00")
    add_session(world.agr_xa, world.site_xa, "2026-10-10 09:00", 180)
    stu = api(world.stu_xa_user)
    scan(stu, world.site_xa)
    later(hours=2)
    session = scan(stu, world.site_xa, "check_out").get_json()["session"]
    stu.post(f"/sessions/{session['id']}/corrections", json={"note": "忘记签退"})
    world.tokens = {"union": api(world.sx_staff).token, "student": stu.token}
    db.session.commit()
    db.session.remove()  # no transaction of the test's own may hold SQLite's write lock
    return world


def fuzz(app_factory, token: str) -> list[str]:
    """Run every documented operation with generated requests; return the failures.

    A second app serves the requests, so each one gets its own app context (its own `g`
    and database session), as in production. schemathesis' pytest plugin is not used: it
    breaks on pytest 9 ('Function' object has no attribute '_nodeid'), and this loop lets
    every operation share one world.
    """
    served = app_factory()
    api_schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", served)
    headers = {"Authorization": f"Bearer {token}"}
    failures = []
    for result in api_schema.get_all_operations():
        operation = result.ok()
        cases = st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
        )

        @FUZZ
        @given(case=cases)
        def run(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # collect every operation's failures
            failures.append(f"{operation.label}:\n" + "\n".join(_messages(exc)))
    return failures


def _messages(exc: BaseException) -> list[str]:
    if isinstance(exc, BaseExceptionGroup):
        return [m for sub in exc.exceptions for m in _messages(sub)]
    return [str(exc)[:3000]]


def test_api_as_union_staff(app_factory, fuzz_world):
    failures = fuzz(app_factory, fuzz_world.tokens["union"])
    assert not failures, "\n\n".join(failures)


def test_api_as_student(app_factory, fuzz_world):
    failures = fuzz(app_factory, fuzz_world.tokens["student"])
    assert not failures, "\n\n".join(failures)


def test_declared_bodies_name_documented_operations(client):
    """Every response body declared in volunteer/openapi_bodies.py belongs to a route."""
    from volunteer.openapi_bodies import BODIES

    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    stale = [f"{m.upper()} {p}" for m, p in BODIES if m not in paths.get(p, {})]
    assert not stale, stale
    described = {
        (method, path)
        for path, ops in paths.items()
        for method, op in ops.items()
        if any(
            code.startswith("2") and "content" in answer for code, answer in op["responses"].items()
        )
    }
    assert set(BODIES) <= described
