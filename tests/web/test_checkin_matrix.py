"""Role × route matrix of the check-in API: 401 → 403 → 404 → 400 → 409, per SPEC §3."""

from __future__ import annotations

import pytest

from tests.checkin_support import later, scan

ROLES = (
    "anon",
    "stu_xa_user",
    "stu_tc_user",
    "ent_tc_staff",
    "tc_staff",
    "xa_staff",
    "ent_xa_staff",
)

# path template, method, body, expected status per role (successes last: they change state)
MATRIX = [
    (
        "/sites/{site}/qr",
        "get",
        None,
        {
            "anon": 401,
            "stu_xa_user": 403,
            "stu_tc_user": 403,
            "ent_tc_staff": 404,
            "tc_staff": 403,
            "xa_staff": 403,
            "ent_xa_staff": 200,
        },
    ),
    (
        "/sites/{site}/poster",
        "get",
        None,
        {
            "anon": 401,
            "stu_xa_user": 403,
            "stu_tc_user": 403,
            "ent_tc_staff": 404,
            "tc_staff": 403,
            "xa_staff": 403,
            "ent_xa_staff": 200,
        },
    ),
    (
        "/sites/{site}/rotate-secret",
        "post",
        None,
        {
            "anon": 401,
            "stu_xa_user": 403,
            "stu_tc_user": 403,
            "ent_tc_staff": 404,
            "tc_staff": 404,
            "xa_staff": 200,
            "ent_xa_staff": 200,
        },
    ),
    (
        "/scan",
        "post",
        {},
        {
            "anon": 401,
            "ent_tc_staff": 403,
            "tc_staff": 403,
            "xa_staff": 403,
            "ent_xa_staff": 403,
            "stu_tc_user": 400,
            "stu_xa_user": 400,
        },
    ),
    (
        "/sessions",
        "get",
        None,
        {
            "anon": 401,
            "stu_xa_user": 200,
            "stu_tc_user": 200,
            "ent_tc_staff": 200,
            "tc_staff": 200,
            "xa_staff": 200,
            "ent_xa_staff": 200,
        },
    ),
    (
        "/sessions/{session}",
        "get",
        None,
        {
            "anon": 401,
            "stu_tc_user": 404,
            "ent_tc_staff": 404,
            "tc_staff": 404,
            "stu_xa_user": 200,
            "xa_staff": 200,
            "ent_xa_staff": 200,
        },
    ),
    (
        "/sessions",
        "post",
        {},
        {
            "anon": 401,
            "stu_xa_user": 403,
            "stu_tc_user": 403,
            "tc_staff": 400,
            "xa_staff": 400,
            "ent_tc_staff": 400,
            "ent_xa_staff": 400,
        },
    ),
    (
        "/sessions/{session}/reject",
        "post",
        {},
        {
            "anon": 401,
            "stu_xa_user": 403,
            "stu_tc_user": 403,
            "tc_staff": 404,
            "xa_staff": 400,
            "ent_tc_staff": 404,
            "ent_xa_staff": 400,
        },
    ),
    (
        "/sessions/{session}/adjust",
        "post",
        {},
        {
            "anon": 401,
            "stu_xa_user": 403,
            "stu_tc_user": 403,
            "ent_tc_staff": 404,
            "tc_staff": 404,
            "xa_staff": 400,
            "ent_xa_staff": 400,
        },
    ),
    (
        "/sessions/{session}/corrections",
        "post",
        {},
        {
            "anon": 401,
            "ent_tc_staff": 403,
            "tc_staff": 403,
            "xa_staff": 403,
            "ent_xa_staff": 403,
            "stu_tc_user": 404,
            "stu_xa_user": 400,
        },
    ),
    (
        "/sessions/confirm",
        "post",
        {"ids": "x"},
        {
            "anon": 401,
            "stu_xa_user": 403,
            "stu_tc_user": 403,
            "tc_staff": 403,
            "xa_staff": 403,
            "ent_tc_staff": 400,
            "ent_xa_staff": 400,
        },
    ),
    (
        "/sessions/{session}/confirm",
        "post",
        None,
        {
            "anon": 401,
            "stu_xa_user": 403,
            "stu_tc_user": 403,
            "tc_staff": 404,
            "xa_staff": 400,
            "ent_tc_staff": 404,
            "ent_xa_staff": 200,
        },
    ),
    (
        "/corrections",
        "get",
        None,
        {
            "anon": 401,
            "stu_xa_user": 200,
            "stu_tc_user": 200,
            "ent_tc_staff": 200,
            "tc_staff": 200,
            "xa_staff": 200,
            "ent_xa_staff": 200,
        },
    ),
    (
        "/corrections/{correction}/decline",
        "post",
        None,
        {
            "anon": 401,
            "stu_xa_user": 403,
            "stu_tc_user": 403,
            "tc_staff": 403,
            "xa_staff": 403,
            "ent_tc_staff": 404,
            "ent_xa_staff": 200,
        },
    ),
    (
        "/corrections/999999/accept",
        "post",
        None,
        {"anon": 401, "stu_xa_user": 403, "xa_staff": 403, "ent_xa_staff": 404},
    ),
    (
        "/sessions/999999",
        "get",
        None,
        {"anon": 401, "stu_xa_user": 404, "xa_staff": 404, "ent_xa_staff": 404},
    ),
]


@pytest.fixture
def setting(world, api, frozen):
    frozen("2026-11-28 09:00")
    stu = api(world.stu_xa_user)
    scan(stu, world.site_xa)
    later(hours=1)
    session = scan(stu, world.site_xa, "check_out").get_json()["session"]
    correction = stu.post(
        f"/sessions/{session['id']}/corrections",
        json={"check_in_at": "2026-11-28T08:30:00+08:00", "note": "早到"},
    )
    assert correction.status_code == 201
    clients = {role: api(None if role == "anon" else getattr(world, role)) for role in ROLES}
    ids = {
        "site": world.site_xa.id,
        "session": session["id"],
        "correction": correction.get_json()["id"],
    }
    return clients, ids


@pytest.mark.parametrize(
    ("template", "method", "body", "expected"),
    MATRIX,
    ids=[f"{m.upper()} {t}" for t, m, _, _ in MATRIX],
)
def test_role_route_matrix(setting, template, method, body, expected):
    clients, ids = setting
    path = template.format(**ids)
    seen = {}
    for role, status in expected.items():
        call = getattr(clients[role], method)
        resp = call(path, json=body) if method == "post" else call(path)
        seen[role] = resp.status_code
        if resp.status_code >= 400:
            assert "code" in resp.get_json()["error"]
    assert seen == expected
