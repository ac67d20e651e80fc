"""Bulk import (R27): all-or-nothing, every bad row named, bulk checks, audit, speed."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import event, func, select

from tests.student_data import (
    STUDENT_PASSWORD,
    bad_check_digit,
    csv_file,
    good_id,
    import_row,
    xlsx_file,
)
from volunteer.audit import AuditEntry
from volunteer.auth.models import User
from volunteer.auth.passwords import verify_password
from volunteer.errors import Forbidden, NotFound, ValidationError
from volunteer.extensions import db
from volunteer.students import bulk_import, services
from volunteer.students.models import Student


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def run_import(actor, rows, **kw):
    return services.import_students(actor, "名单.csv", csv_file(rows), **kw)


def refused(actor, rows, **kw) -> list[dict]:
    students, users, entries = count(Student), count(User), count(AuditEntry)
    with pytest.raises(ValidationError) as info:
        run_import(actor, rows, **kw)
    assert info.value.code == "import_invalid" and info.value.status == 400
    db.session.rollback()
    assert (count(Student), count(User), count(AuditEntry)) == (students, users, entries)
    return info.value.rows


def test_import_creates_students_accounts_and_audit(world):
    created = run_import(world.xa_staff, [import_row(n) for n in range(1, 4)])
    assert [s.name for s in created] == ["导入一", "导入二", "导入三"]
    users = db.session.scalars(
        select(User).where(User.username.in_(["imp1", "imp2", "imp3"]))
    ).all()
    assert {u.student_id for u in users} == {s.id for s in created}
    assert all(u.must_change_password and u.role == "student" for u in users)
    assert verify_password(users[0].password_hash, STUDENT_PASSWORD)
    assert created[0].university_city == "西安" and created[0].enrollment_year == 2023
    actions = db.session.execute(
        select(AuditEntry.action, AuditEntry.entity).where(AuditEntry.actor_id == world.xa_staff.id)
    ).all()
    assert actions.count(("imported", "student")) == 1
    assert actions.count(("created", "student")) == 3
    assert actions.count(("created", "user")) == 3
    imported = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "imported")).one()
    assert imported.after["created"] == 3 and imported.union_path == "/SX/XA/"
    assert services.reveal_id_number(world.xa_staff, created[1].id) == import_row(2)["id_number"]


def test_one_bad_id_imports_nothing_and_names_the_row(world):
    rows = [import_row(n) for n in range(1, 6)]
    rows[2]["id_number"] = bad_check_digit(rows[2]["id_number"])
    errors = refused(world.xa_staff, rows)
    assert errors == [{"row": 4, "field": "id_number", "message": "身份证号校验位错误，请核对"}]


def test_every_bad_row_and_reason_is_reported(world):
    rows = [import_row(n) for n in range(1, 7)]
    rows[0]["phone"] = "12345"
    rows[1]["id_number"] = world_id = good_id(900)
    rows[2]["username"] = "stu_tc"  # taken by the world's student
    rows[3]["union_code"] = "TC"  # outside XA's subtree
    rows[4]["password"] = "12345678"  # too common
    rows[5]["id_number"] = rows[0]["id_number"]  # twice in the file
    services.create_student(
        world.xa_staff,
        username="someone",
        password=STUDENT_PASSWORD,
        name="已登记",
        id_number=world_id,
        phone="13900000000",
        university="西北大学",
        union_code="XA",
    )
    errors = refused(world.xa_staff, rows)
    assert [(e["row"], e["field"]) for e in errors] == [
        (2, "phone"),
        (3, "id_number"),
        (4, "username"),
        (5, "union_code"),
        (6, "password"),
        (7, "id_number"),
    ]
    assert "第 2 行和第 7 行" in errors[-1]["message"]


def test_a_row_with_format_errors_also_gets_its_database_reasons(world):
    row = import_row(1, phone="1", union_code="TC", username="stu_xa")
    errors = refused(world.xa_staff, [row])
    assert {e["field"] for e in errors} == {"phone", "union_code", "username"}


def test_union_codes_match_regardless_of_case(world):
    created = run_import(
        world.sx_staff, [import_row(1, union_code="xa"), import_row(2, union_code="Tc")]
    )
    assert [s.union_code for s in created] == ["XA", "TC"]


def test_file_level_problems(world):
    with pytest.raises(ValidationError) as info:
        services.import_students(world.xa_staff, "名单.xls", b"\xd0\xcf\x11\xe0")
    assert info.value.code == "import_invalid"
    with pytest.raises(ValidationError) as info:
        services.import_students(world.xa_staff, "名单.csv", "姓名,手机号\n张三,1\n".encode())
    assert any("缺少必填列" in e["message"] for e in info.value.rows)
    with pytest.raises(ValidationError):
        services.import_students(world.xa_staff, "名单.xlsx", b"PK\x03\x04broken")


def test_xlsx_with_title_line_and_english_headers(world):
    data = xlsx_file([import_row(1), import_row(2)], chinese=False, title="2026年受助学生名单")
    assert len(services.import_students(world.xa_staff, "list.xlsx", data)) == 2
    rows = [import_row(3), import_row(4)]
    data = csv_file(rows, chinese=True, bom=False)
    assert len(services.import_students(world.xa_staff, "list.csv", data)) == 2


def test_import_scope(world, make_union):
    make_union("XA-01", "碑林区总工会", parent="XA")
    with pytest.raises(Forbidden):
        run_import(world.ent_xa_staff, [import_row(1)])
    errors = refused(world.tc_staff, [import_row(1)])
    assert errors[0]["field"] == "union_code"
    created = run_import(
        world.sx_staff,
        [import_row(1), import_row(2, union_code="TC"), import_row(3, union_code="XA-01")],
    )
    assert sorted(s.union_code for s in created) == ["TC", "XA", "XA-01"]
    imported = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "imported")).one()
    assert imported.union_path == "/SX/"
    created_paths = db.session.scalars(
        select(AuditEntry.union_path).where(
            AuditEntry.action == "created", AuditEntry.entity == "student"
        )
    ).all()
    assert sorted(created_paths) == ["/SX/TC/", "/SX/XA/", "/SX/XA/XA-01/"]


def test_cli_actor_may_be_limited_to_a_union(world):
    errors = refused(None, [import_row(1), import_row(2, union_code="TC")], union_code="XA")
    assert [(e["row"], e["field"]) for e in errors] == [(3, "union_code")]
    with pytest.raises(NotFound):
        run_import(None, [import_row(1)], union_code="NOPE")
    created = run_import(None, [import_row(1), import_row(2, union_code="TC")])
    assert len(created) == 2
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "imported")).one()
    assert entry.actor_name == "system" and entry.union_path == "/SX/"


def test_identical_initial_passwords_are_hashed_once(app):
    digests = bulk_import.hash_passwords(["Same-pass-1", "Other-pass-2", "Same-pass-1"])
    assert digests[0] == digests[2] != digests[1]
    assert verify_password(digests[1], "Other-pass-2")
    seen = []
    bulk_import.hash_passwords(
        ["a-long-pass"] * 5 + ["b-long-pass"], lambda d, t: seen.append((d, t))
    )
    assert seen == [(5, 6), (6, 6)]


def test_thousand_rows_in_bounded_queries(world):
    rows = [import_row(n, password=f"Initial-{n:04d}") for n in range(1, 1001)]
    data = csv_file(rows)
    statements = []

    def listener(*args):
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", listener)
    started = time.perf_counter()
    try:
        created = services.import_students(world.xa_staff, "big.csv", data)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    elapsed = time.perf_counter() - started
    assert len(created) == 1000
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) < 20, selects[:30]  # bulk IN checks, not a query per row
    assert elapsed < 30  # pbkdf2:1000 in tests; scrypt is measured in the report


def test_cli_command(app, world, tmp_path):
    good = tmp_path / "名单.xlsx"
    good.write_bytes(xlsx_file([import_row(1), import_row(2)]))
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_file([import_row(3), import_row(4, id_number="61011319990101")]))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import-students", str(bad)])
    assert result.exit_code != 0
    assert "第 3 行" in result.output and "身份证号" in result.output
    assert count(Student) == 2
    result = runner.invoke(args=["import-students", str(good), "--union", "TC"])
    assert result.exit_code != 0 and "工会代码" in result.output
    result = runner.invoke(args=["import-students", str(good), "--union", "XA"])
    assert result.exit_code == 0, result.output
    assert "已导入 2 名学生" in result.output
    assert count(Student) == 4
