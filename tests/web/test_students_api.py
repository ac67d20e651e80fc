"""The students endpoints of API.md: contract, scope, strict types, no ID numbers out."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import select

from tests.student_data import (
    bad_check_digit,
    csv_file,
    good_id,
    import_row,
    numeral,
    student_body,
    xlsx_file,
)
from volunteer.audit import AuditEntry
from volunteer.auth.models import User
from volunteer.extensions import db
from volunteer.students.models import Student

STUDENT_KEYS = {
    "id",
    "name",
    "id_number_masked",
    "phone",
    "university",
    "major",
    "enrollment_year",
    "home_city",
    "union_code",
    "user_id",
    "volunteer_number",
}


def upload(client, data: bytes, filename: str):
    return client.post(
        "/students/import",
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def test_create_student_answers_a_student_object(world, api):
    resp = api(world.xa_staff).post("/students", json=student_body(1))
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert set(body) == STUDENT_KEYS
    assert body["id_number_masked"] == good_id(1)[:3] + "*" * 11 + good_id(1)[-4:]
    assert body["enrollment_year"] == 2024 and body["union_code"] == "XA"
    user = db.session.get(User, body["user_id"])
    assert user.student_id == body["id"] and user.must_change_password
    assert good_id(1) not in resp.get_data(as_text=True)


def test_created_student_must_change_password_first(world, api, client):
    api(world.xa_staff).post("/students", json=student_body(1))
    resp = client.post("/api/v1/tokens", json={"username": "new_stu1", "password": "Welcome-2026"})
    token = resp.get_json()["token"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.get_json()["must_change_password"] is True
    own = client.get(
        f"/api/v1/students/{me.get_json()['student_id']}",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert own.status_code == 403
    assert own.get_json()["error"]["code"] == "password_change_required"


def test_create_minimal_body(world, api):
    body = {
        k: v
        for k, v in student_body(2).items()
        if k not in ("major", "enrollment_year", "home_city")
    }
    resp = api(world.xa_staff).post("/students", json=body)
    assert resp.status_code == 201
    assert resp.get_json()["major"] is None and resp.get_json()["enrollment_year"] is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("phone", 13900000001),
        ("enrollment_year", "2024"),
        ("enrollment_year", True),
        ("enrollment_year", 2024.0),
        ("union_code", True),
        ("name", None),
        ("id_number", 610113200503150011),
        ("password", 12345678),
        ("major", ["会计"]),
        ("enrollment_year", 1800),
        ("name", "名" * 101),
    ],
)
def test_field_types_are_strict(world, api, field, value):
    resp = api(world.xa_staff).post("/students", json=student_body(3, **{field: value}))
    assert resp.status_code == 400
    error = resp.get_json()["error"]
    assert error["code"] == "validation_error" and field in error["fields"]
    assert db.session.scalar(select(Student.id).where(Student.name == "学生三")) is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id_number", "61011320050315001"),
        ("id_number", "bad"),
        ("phone", "2390000000"),
        ("phone", "139000000011"),
        ("name", "   "),
        ("username", "a b"),
        ("password", "short"),
    ],
)
def test_invalid_values_are_400(world, api, field, value):
    resp = api(world.xa_staff).post("/students", json=student_body(4, **{field: value}))
    assert resp.status_code == 400
    assert field in resp.get_json()["error"]["fields"]


def test_bad_check_digit_is_400(world, api):
    resp = api(world.xa_staff).post(
        "/students", json=student_body(5, id_number=bad_check_digit(good_id(5)))
    )
    assert resp.status_code == 400
    assert "校验位" in resp.get_json()["error"]["fields"]["id_number"][0]


def test_malformed_json_and_non_object(world, api):
    client = api(world.xa_staff)
    resp = client.post("/students", data="{nope", headers={"Content-Type": "application/json"})
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "bad_request"
    resp = client.post("/students", json=[1, 2])
    assert resp.status_code == 400


def test_duplicates_are_409(world, api):
    client = api(world.xa_staff)
    assert client.post("/students", json=student_body(1)).status_code == 201
    resp = client.post("/students", json=student_body(2, id_number=good_id(1)))
    assert resp.status_code == 409
    assert resp.get_json()["error"]["code"] == "duplicate"
    assert "id_number" in resp.get_json()["error"]["fields"]
    resp = client.post("/students", json=student_body(3, username="new_stu1"))
    assert resp.status_code == 409 and "username" in resp.get_json()["error"]["fields"]
    # same number written differently (lower-case x, spaces) is still the same person
    number = next(good_id(n) for n in range(100, 400) if good_id(n).endswith("X"))
    assert client.post("/students", json=student_body(4, id_number=number)).status_code == 201
    spaced = number[:6] + " " + number[6:-1] + "x"
    assert client.post("/students", json=student_body(5, id_number=spaced)).status_code == 409


def test_create_scope_and_roles(world, api):
    resp = api(world.xa_staff).post("/students", json=student_body(1, union_code="TC"))
    assert resp.status_code == 404
    assert api(world.ent_xa_staff).post("/students", json=student_body(1)).status_code == 403
    assert api(world.stu_xa_user).post("/students", json=student_body(1)).status_code == 403
    assert api().post("/students", json=student_body(1)).status_code == 401
    resp = api(world.sx_staff).post("/students", json=student_body(1, union_code="TC"))
    assert resp.status_code == 201


def test_list_students(world, api):
    client = api(world.xa_staff)
    for n in range(1, 6):
        client.post("/students", json=student_body(n, name=f"赵{numeral(n)}"))
    resp = client.get("/students?per_page=2")
    body = resp.get_json()
    assert resp.status_code == 200
    assert (body["total"], body["page"], body["per_page"], len(body["items"])) == (6, 1, 2, 2)
    assert all(set(item) == STUDENT_KEYS for item in body["items"])
    assert all(isinstance(item["user_id"], int) for item in body["items"])
    assert client.get("/students?q=赵三").get_json()["total"] == 1
    assert client.get("/students?q=13900000004").get_json()["items"][0]["name"] == "赵四"
    assert client.get("/students?page=3&per_page=2").get_json()["items"][0]["name"] == "赵一"
    names = {i["name"] for i in client.get("/students").get_json()["items"]}
    assert "李小红" not in names  # a TC student
    assert client.get("/students?per_page=501").status_code == 400
    assert client.get("/students?page=0").status_code == 400
    assert client.get("/students?page=abc").status_code == 400


def test_list_union_filter(world, api):
    assert api(world.sx_staff).get("/students?union_code=TC").get_json()["total"] == 1
    assert api(world.sx_staff).get("/students").get_json()["total"] == 2
    assert api(world.xa_staff).get("/students?union_code=TC").status_code == 404
    assert api(world.xa_staff).get("/students?union_code=NOPE").status_code == 404


def test_list_roles(world, api):
    assert api(world.ent_xa_staff).get("/students").status_code == 403
    assert api(world.stu_xa_user).get("/students").status_code == 403
    assert api().get("/students").status_code == 401


def test_get_student_scope_matrix(world, api, make_student):
    loner = make_student("XA", "未签约")
    cases = [
        (world.xa_staff, world.stu_xa, 200),
        (world.sx_staff, world.stu_tc, 200),
        (world.xa_staff, world.stu_tc, 404),
        (world.tc_staff, world.stu_xa, 404),
        (world.stu_xa_user, world.stu_xa, 200),
        (world.stu_xa_user, world.stu_tc, 404),
        (world.ent_xa_staff, world.stu_xa, 200),
        (world.ent_xa_staff, world.stu_tc, 404),
        (world.ent_xa_staff, loner, 404),
        (world.ent_tc_staff, world.stu_tc, 200),
    ]
    for actor, student, status in cases:
        resp = api(actor).get(f"/students/{student.id}")
        assert resp.status_code == status, (actor.username, student.name, resp.get_json())
    assert api(world.xa_staff).get("/students/999999").status_code == 404
    assert api(world.xa_staff).get("/students/99999999999").status_code == 404
    assert api().get(f"/students/{world.stu_xa.id}").status_code == 401


def test_enterprise_sees_no_id_data(world, api):
    resp = api(world.ent_xa_staff).get(f"/students/{world.stu_xa.id}")
    body = resp.get_json()
    assert set(body) == STUDENT_KEYS
    assert body["id_number_masked"] is None
    assert body["name"] == "王小明" and body["phone"] == world.stu_xa.phone
    text = resp.get_data(as_text=True)
    assert world.stu_xa.id_number_masked[-4:] not in text.replace(world.stu_xa.phone, "")
    for word in ("aid", "amount", "hardship", "family"):
        assert word not in text
    own = api(world.stu_xa_user).get(f"/students/{world.stu_xa.id}").get_json()
    assert own["id_number_masked"] == world.stu_xa.id_number_masked
    assert own["user_id"] == world.stu_xa_user.id


def test_reveal_id_number(world, api):
    created = api(world.xa_staff).post("/students", json=student_body(1)).get_json()
    resp = api(world.xa_staff).get(f"/students/{created['id']}/id-number")
    assert resp.status_code == 200 and resp.get_json() == {"id_number": good_id(1)}
    assert resp.headers["Cache-Control"] == "no-store"
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "id_revealed")).one()
    assert entry.entity == "student" and entry.entity_id == str(created["id"])
    assert api(world.tc_staff).get(f"/students/{created['id']}/id-number").status_code == 404
    assert api(world.ent_xa_staff).get(f"/students/{world.stu_xa.id}/id-number").status_code == 403
    assert api(world.stu_xa_user).get(f"/students/{world.stu_xa.id}/id-number").status_code == 403
    assert api().get(f"/students/{world.stu_xa.id}/id-number").status_code == 401
    assert (
        db.session.scalar(
            select(db.func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "id_revealed")
        )
        == 1
    )


def test_no_full_id_number_in_any_other_response(world, api):
    number = good_id(77)
    client = api(world.sx_staff)
    created = client.post("/students", json=student_body(77, id_number=number)).get_json()
    sid = created["id"]
    responses = [
        json.dumps(created),
        client.get("/students").get_data(as_text=True),
        client.get(f"/students?q={number}").get_data(as_text=True),
        client.get(f"/students/{sid}").get_data(as_text=True),
        client.get(f"/audit?entity=student&entity_id={sid}").get_data(as_text=True),
    ]
    assert client.get(f"/students?q={number}").get_json()["total"] == 1
    for text in responses:
        assert number not in text


def test_import_csv_with_chinese_headers(world, api):
    resp = upload(api(world.xa_staff), csv_file([import_row(1), import_row(2)]), "名单.csv")
    assert resp.status_code == 201 and resp.get_json() == {"created": 2}
    names = {i["name"] for i in api(world.xa_staff).get("/students?q=导入").get_json()["items"]}
    assert names == {"导入一", "导入二"}


def test_import_xlsx_with_english_headers(world, api):
    data = xlsx_file([import_row(n) for n in range(1, 4)], chinese=False, title="2026年名单")
    resp = upload(api(world.xa_staff), data, "list.xlsx")
    assert resp.status_code == 201 and resp.get_json() == {"created": 3}


def test_import_is_all_or_nothing(world, api):
    rows = [import_row(n) for n in range(1, 5)]
    rows[1]["id_number"] = bad_check_digit(rows[1]["id_number"])
    rows[3]["phone"] = "123"
    resp = upload(api(world.xa_staff), csv_file(rows), "名单.csv")
    assert resp.status_code == 400
    error = resp.get_json()["error"]
    assert error["code"] == "import_invalid"
    assert [(r["row"], r["field"]) for r in error["rows"]] == [(3, "id_number"), (5, "phone")]
    assert all(isinstance(r["message"], str) and r["message"] for r in error["rows"])
    assert api(world.xa_staff).get("/students?q=导入").get_json()["total"] == 0


def test_import_refusals(world, api):
    client = api(world.xa_staff)
    resp = client.post("/students/import", data={}, content_type="multipart/form-data")
    assert resp.status_code == 400 and "file" in resp.get_json()["error"]["fields"]
    resp = upload(client, b"not a workbook", "x.xlsx")
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "import_invalid"
    resp = upload(client, "姓名,身份证号\n".encode("gbk"), "x.csv")
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "import_invalid"
    resp = upload(client, b"x", "x.txt")
    assert resp.status_code == 400
    resp = client.post("/students/import", json={"file": "x"})
    assert resp.status_code == 400
    assert upload(api(world.ent_xa_staff), csv_file([import_row(1)]), "a.csv").status_code == 403
    assert upload(api(), csv_file([import_row(1)]), "a.csv").status_code == 401


def test_import_too_large_is_413(app_factory, world):
    app = app_factory(MAX_CONTENT_LENGTH=1024)
    client = app.test_client()
    token = client.post(
        "/api/v1/tokens", json={"username": "xa_staff", "password": "Passw0rd-Test"}
    ).get_json()["token"]
    resp = client.post(
        "/api/v1/students/import",
        data={"file": (io.BytesIO(b"x" * 4096), "big.csv")},
        content_type="multipart/form-data",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert resp.status_code == 413
    assert resp.get_json()["error"]["code"] == "payload_too_large"


def test_openapi_documents_the_student_routes(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in (
        "/students",
        "/students/{student_id}",
        "/students/{student_id}/id-number",
        "/students/import",
    ):
        assert path in paths
    assert "multipart/form-data" in paths["/students/import"]["post"]["requestBody"]["content"]
