"""R32: ten requests racing to create the same username, ID number or credit code get one
201 and nine 409 duplicate, never a 500 (real parallel requests on a threaded server)."""

from __future__ import annotations

import pytest

from tests.conftest import valid_credit_code, valid_id_number
from tests.student_data import numeral
from tests.web.test_agreements_concurrency import _post_all
from tests.web.test_agreements_concurrency import server as server  # noqa: F401

RACERS = 10


def _student(i: int, *, username: str | None = None, id_number: str | None = None) -> dict:
    return {
        "name": f"学生{numeral(i)}",
        "id_number": id_number or valid_id_number(700 + i),
        "phone": f"1380000{i:04d}",
        "university": "西北大学",
        "union_code": "XA",
        "username": username or f"racer{i}",
        "password": "Initial-Pass-1",
    }


def _assert_one_winner(results) -> None:
    codes = sorted(status for status, _ in results)
    assert codes == [201] + [409] * (RACERS - 1), results
    for status, body in results:
        if status == 409:
            assert body["error"]["code"] == "duplicate", body


@pytest.mark.parametrize("same", ["username", "id_number"])
def test_racing_students_with_one_value_in_common(world, api, server, same):  # noqa: F811
    token = api(world.xa_staff).token
    if same == "username":
        bodies = [_student(i, username="same-name") for i in range(RACERS)]
    else:
        bodies = [_student(i, id_number=valid_id_number(777)) for i in range(RACERS)]
    _assert_one_winner(_post_all(server + "/students", token, bodies))


def test_racing_enterprises_with_one_credit_code(world, api, server):  # noqa: F811
    token = api(world.xa_staff).token
    code = valid_credit_code(4242)
    bodies = [
        {"name": f"企业{i}", "credit_code": code, "union_code": "XA", "capacity": 5}
        for i in range(RACERS)
    ]
    _assert_one_winner(_post_all(server + "/enterprises", token, bodies))


def test_racing_staff_accounts_with_one_username(world, api, server):  # noqa: F811
    token = api(world.xa_staff).token
    bodies = [
        {"username": "same-staff", "password": "Initial-Pass-1", "name": f"职员{i}"}
        for i in range(RACERS)
    ]
    _assert_one_winner(_post_all(server + "/unions/XA/staff", token, bodies))
