"""Student use cases: register, edit, search, reveal, aid records (R22, R26)."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select, text

from tests.conftest import PASSWORD
from tests.student_data import STUDENT_PASSWORD, bad_check_digit, good_id, numeral
from volunteer.audit import AuditEntry
from volunteer.auth.models import User
from volunteer.auth.passwords import verify_password
from volunteer.errors import Conflict, Forbidden, NotFound, ValidationError
from volunteer.extensions import db
from volunteer.students import services
from volunteer.students.models import AidRecord, Student


def fields(n=1, **overrides):
    values = {
        "name": f"新生{numeral(n)}",
        "id_number": good_id(n),
        "phone": f"139{n:08d}",
        "university": "西安交通大学",
        "major": "临床医学",
        "enrollment_year": 2024,
        "home_city": "西安",
        "union_code": "XA",
        "family_hardship": "父亲工伤致残",
    }
    values.update(overrides)
    return values


def create(actor, n=1, username=None, **overrides):
    return services.create_student(
        actor, username=username or f"new{n}", password=STUDENT_PASSWORD, **fields(n, **overrides)
    )


def raw_table(name: str) -> str:
    rows = db.session.execute(text(f"SELECT * FROM {name}")).all()
    return "\n".join(" ".join(str(v) for v in row) for row in rows)


def entries(action=None, entity="student"):
    stmt = select(AuditEntry).where(AuditEntry.entity == entity).order_by(AuditEntry.id)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    return db.session.scalars(stmt).all()


def test_create_student_with_initial_account(world):
    student = create(world.xa_staff)
    assert student.id_number_masked == good_id(1)[:3] + "*" * 11 + good_id(1)[-4:]
    assert student.university_city == "西安"
    user = db.session.scalars(select(User).where(User.student_id == student.id)).one()
    assert user.role == "student" and user.username == "new1"
    assert user.must_change_password is True
    assert verify_password(user.password_hash, STUDENT_PASSWORD)
    created = entries("created")[-1]
    assert created.entity_id == str(student.id)
    assert created.after["id_number_masked"] == student.id_number_masked
    assert created.union_path == "/SX/XA/"
    assert good_id(1) not in str(created.after)


def test_id_number_is_absent_from_stored_rows(world):
    number = good_id(42)
    student = create(world.xa_staff, 42)
    services.reveal_id_number(world.xa_staff, student.id)
    services.update_student(world.xa_staff, student.id, id_number=good_id(43))
    dump = "\n".join(raw_table(t) for t in ("students", "audit_log", "users"))
    for plain in (number, good_id(43)):
        assert plain not in dump
        assert plain[6:14] + plain[14:] not in dump  # birth date + sequence either
        assert hashlib.sha256(plain.encode()).hexdigest() not in dump  # the hash is keyed
    assert services.reveal_id_number(world.xa_staff, student.id) == good_id(43)


def test_duplicate_id_number_and_username(world):
    create(world.xa_staff, 1)
    with pytest.raises(Conflict) as info:
        create(world.xa_staff, 2, id_number=good_id(1))
    assert info.value.code == "duplicate" and "id_number" in info.value.fields
    with pytest.raises(Conflict) as info:  # the same person registered by another city
        create(world.tc_staff, 3, id_number=good_id(1), union_code="TC")
    assert "id_number" in info.value.fields
    with pytest.raises(Conflict) as info:
        create(world.xa_staff, 4, username="new1")
    assert "username" in info.value.fields
    assert db.session.scalar(select(db.func.count()).select_from(Student)) == 3  # world's 2 + 1


def test_invalid_input_is_400_before_duplicate_409(world):
    create(world.xa_staff, 1)
    with pytest.raises(ValidationError) as info:
        create(world.xa_staff, 2, username="new1", phone="12345")
    assert "phone" in info.value.fields
    with pytest.raises(ValidationError):
        create(world.xa_staff, 2, id_number=bad_check_digit(good_id(1)))
    with pytest.raises(ValidationError) as info:
        services.create_student(
            world.xa_staff, username="zz", password=STUDENT_PASSWORD, **fields(5)
        )
    assert "username" in info.value.fields
    with pytest.raises(ValidationError) as info:
        services.create_student(
            world.xa_staff, username="weakone", password="12345678", **fields(6)
        )
    assert "password" in info.value.fields


def test_scope_of_registration(world):
    with pytest.raises(NotFound):
        create(world.xa_staff, 1, union_code="TC")
    with pytest.raises(NotFound):
        create(world.xa_staff, 1, union_code="NOPE")
    with pytest.raises(Forbidden):
        create(world.ent_xa_staff, 1)
    with pytest.raises(Forbidden):
        create(world.stu_xa_user, 1)
    assert create(world.sx_staff, 1, union_code="TC").union_code == "TC"


def test_duplicate_found_across_key_rotation(app_factory, world):
    student_id, actor_id = create(world.xa_staff, 1).id, world.xa_staff.id
    db.session.rollback()  # SQLite: release this app's write lock before the other app writes
    rotated = app_factory(ID_ENCRYPTION_KEY="new-key", ID_ENCRYPTION_OLD_KEYS="unused, test-id-key")
    with rotated.app_context():
        actor = db.session.get(User, actor_id)
        with pytest.raises(Conflict):
            create(actor, 2, id_number=good_id(1))
        assert services.reveal_id_number(actor, student_id) == good_id(1)
        row = db.session.get(Student, student_id)
        assert row.id_key_id == services.id_cipher().primary_key_id  # re-encrypted on read
        with pytest.raises(Conflict):  # and still unique under the new key's hash
            create(actor, 3, id_number=good_id(1))


def test_update_student(world):
    student = create(world.xa_staff, 1)
    services.update_student(
        world.xa_staff,
        student.id,
        name="改名",
        phone="13700000000",
        university="长安大学",
        major="",
    )
    db.session.refresh(student)
    assert (student.name, student.phone, student.major) == ("改名", "13700000000", None)
    assert student.university_city == "西安"
    user = db.session.scalars(select(User).where(User.student_id == student.id)).one()
    assert user.name == "改名"
    updated = entries("updated")[-1]
    assert updated.before["name"] == "新生一" and updated.after["name"] == "改名"
    assert "home_city" not in updated.after  # only what changed


def test_update_id_number_checks_duplicates_and_masks_audit(world):
    one = create(world.xa_staff, 1)
    two = create(world.xa_staff, 2)
    with pytest.raises(Conflict):
        services.update_student(world.xa_staff, two.id, id_number=good_id(1))
    services.update_student(world.xa_staff, one.id, id_number=good_id(1))  # its own number: fine
    services.update_student(world.xa_staff, two.id, id_number=good_id(9))
    updated = entries("updated")[-1]
    assert updated.after["id_number_masked"].endswith(good_id(9)[-4:])
    assert good_id(9) not in str(updated.after)


def test_update_is_scoped_and_validated(world):
    with pytest.raises(NotFound):
        services.update_student(world.tc_staff, world.stu_xa.id, name="x")
    with pytest.raises(NotFound):
        services.update_student(world.xa_staff, world.stu_xa.id, union_code="TC")
    with pytest.raises(ValidationError):
        services.update_student(world.xa_staff, world.stu_xa.id, phone="1")
    with pytest.raises(Forbidden):
        services.update_student(world.ent_xa_staff, world.stu_xa.id, name="x")
    before = len(entries())
    services.update_student(world.xa_staff, world.stu_xa.id, name=world.stu_xa.name)
    assert len(entries()) == before  # nothing changed, nothing audited


def test_search_students(world):
    for n in range(1, 8):
        create(world.xa_staff, n, name=f"张{numeral(n)}号")
    page = services.search_students(world.xa_staff, per_page=3)
    assert page.total == 8 and len(page.items) == 3 and page.pages == 3
    assert [s.name for s, _ in page.items] == ["张七号", "张六号", "张五号"]
    assert all(uid is not None for _, uid in page.items)
    last = services.search_students(world.xa_staff, per_page=3, page=3)
    assert len(last.items) == 2
    assert services.search_students(world.xa_staff, q="三号").total == 1
    assert services.search_students(world.xa_staff, q="13900000004").total == 1
    assert services.search_students(world.xa_staff, q="0000000").total == 7  # part of phones
    found = services.search_students(world.xa_staff, q=good_id(5))
    assert [s.name for s, _ in found.items] == ["张五号"]
    assert services.search_students(world.xa_staff, q="%").total == 0  # no LIKE wildcards


def test_search_scope_and_union_filter(world, make_union):
    make_union("XA-01", "碑林区总工会", parent="XA")
    create(world.xa_staff, 1, union_code="XA-01")
    assert services.search_students(world.tc_staff).total == 1  # only 李小红
    assert services.search_students(world.sx_staff).total == 3
    assert services.search_students(world.sx_staff, union_code="XA").total == 2  # XA + XA-01
    assert services.search_students(world.sx_staff, union_code="XA-01").total == 1
    with pytest.raises(NotFound):
        services.search_students(world.tc_staff, union_code="XA")
    with pytest.raises(Forbidden):
        services.search_students(world.ent_xa_staff)
    with pytest.raises(ValidationError):
        services.search_students(world.xa_staff, q="长" * 51)


def test_user_ids_come_without_a_query_per_row(world, app):
    from sqlalchemy import event

    for n in range(1, 21):
        create(world.xa_staff, n)
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        page = services.search_students(world.xa_staff, per_page=50)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert page.total == 21
    assert len(statements) <= 4


def test_reveal_is_audited_and_scoped(world):
    student = create(world.xa_staff, 1)
    assert services.reveal_id_number(world.xa_staff, student.id) == good_id(1)
    revealed = entries("id_revealed")
    assert len(revealed) == 1
    assert revealed[0].actor_id == world.xa_staff.id
    assert revealed[0].entity_id == str(student.id)
    assert good_id(1) not in str(revealed[0].after)
    assert services.reveal_id_number(world.sx_staff, student.id) == good_id(1)
    with pytest.raises(NotFound):
        services.reveal_id_number(world.tc_staff, student.id)
    for actor in (world.ent_xa_staff, world.stu_xa_user):
        with pytest.raises(Forbidden):
            services.reveal_id_number(actor, world.stu_xa.id)
    assert len(entries("id_revealed")) == 2


def test_get_student_scope(world):
    assert services.get_student(world.ent_xa_staff, world.stu_xa.id)[0].id == world.stu_xa.id
    assert services.get_student(world.stu_xa_user, world.stu_xa.id)[1] == world.stu_xa_user.id
    for actor, student in [
        (world.ent_tc_staff, world.stu_xa),
        (world.stu_tc_user, world.stu_xa),
        (world.xa_staff, world.stu_tc),
    ]:
        with pytest.raises(NotFound):
            services.get_student(actor, student.id)


def test_add_aid_record(world):
    record = services.add_aid_record(
        world.xa_staff, world.stu_xa.id, year=2025, amount_yuan=5000, category="key_university"
    )
    assert db.session.get(AidRecord, record.id).amount_yuan == 5000
    assert entries("aid_added")[-1].after["category"] == "key_university"
    with pytest.raises(ValidationError):
        services.add_aid_record(
            world.xa_staff, world.stu_xa.id, year=2025, amount_yuan=-1, category="regular"
        )
    with pytest.raises(NotFound):
        services.add_aid_record(
            world.tc_staff, world.stu_xa.id, year=2025, amount_yuan=1, category="regular"
        )
    detail = services.student_detail(world.xa_staff, world.stu_xa.id)
    assert [r.year for r in detail.aid_records] == [2025]
    assert [name for _, name, _ in detail.agreements] == [world.ent_xa.name]
    assert detail.account.id == world.stu_xa_user.id


def test_create_leaves_nothing_behind_on_refusal(world):
    before = raw_table("users"), raw_table("students"), raw_table("audit_log")
    with pytest.raises(Conflict):
        create(world.xa_staff, 1, username=world.stu_tc_user.username)
    db.session.rollback()
    assert (raw_table("users"), raw_table("students"), raw_table("audit_log")) == before


def test_world_password_constant_still_logs_in(world):
    # The fixtures' accounts are untouched by the student services.
    user = db.session.get(User, world.stu_xa_user.id)
    assert verify_password(user.password_hash, PASSWORD)
