"""The union's student pages: list, create, edit, detail, reveal, aid records, import."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD
from tests.student_data import bad_check_digit, csv_file, good_id, import_row, numeral, xlsx_file
from volunteer.audit import AuditEntry
from volunteer.extensions import db
from volunteer.students import services
from volunteer.students.models import AidRecord, Student


def form(n=1, **overrides):
    data = {
        "name": f"页面{numeral(n)}",
        "id_number": good_id(n),
        "phone": f"136{n:08d}",
        "university": "陕西师范大学",
        "university_city": "",
        "major": "汉语言文学",
        "enrollment_year": "2024",
        "home_city": "西安",
        "union_code": "XA",
        "family_hardship": "母亲重病",
        "username": f"page{n}",
        "password": "Welcome-2026",
    }
    data.update(overrides)
    return data


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_pages_need_union_staff(world, client, login):
    sid = world.stu_xa.id
    pages = [
        "/students",
        "/students/new",
        f"/students/{sid}",
        f"/students/{sid}/edit",
        "/students/import",
        "/students/import/template.xlsx",
    ]
    for path in pages:
        assert client.get(path).status_code == 302  # to the login page
    for user in (world.ent_xa_staff, world.stu_xa_user):
        login(user)
        for path in pages:
            assert client.get(path).status_code == 403, (user.username, path)
        assert client.post(f"/students/{sid}/reveal").status_code == 403
        client.post("/logout")
    login(world.tc_staff)
    for path in (f"/students/{sid}", f"/students/{sid}/edit"):
        assert client.get(path).status_code == 404
    assert client.post(f"/students/{sid}/reveal").status_code == 404
    assert (
        client.post(
            f"/students/{sid}/aid",
            data={"year": "2025", "amount_yuan": "3000", "category": "regular"},
        ).status_code
        == 404
    )


def test_index_lists_searches_and_pages(world, client, login):
    for n in range(1, 25):
        services.create_student(
            world.xa_staff,
            username=f"bulk{n}",
            password="Welcome-2026",
            name=f"孙{numeral(n).rjust(2, '〇')}",
            id_number=good_id(n),
            phone=f"135{n:08d}",
            university="长安大学",
            union_code="XA",
        )
    login(world.xa_staff)
    page = client.get("/students").get_data(as_text=True)
    assert "共 25 名学生" in page
    assert "孙二四" in page and "李小红" not in page  # newest first; no TC student
    assert good_id(24) not in page and "610" in page  # masked only
    assert "下一页" in page and 'class="table stack' in page
    second = client.get("/students?page=2").get_data(as_text=True)
    assert "孙〇四" in second and "孙〇五" not in second
    found = client.get("/students?q=孙〇七").get_data(as_text=True)
    assert "找到 1 名学生" in found and "孙〇七" in found
    assert "找到 1 名学生" in client.get("/students?q=13500000003").get_data(as_text=True)
    assert client.get("/students?page=abc&union=TC").status_code == 200  # ignored, not an error
    past_the_end = client.get("/students?page=9").get_data(as_text=True)
    assert "第 2 / 2 页" in past_the_end and "孙〇四" in past_the_end


def test_index_union_filter_for_the_province(world, client, login):
    login(world.sx_staff)
    page = client.get("/students").get_data(as_text=True)
    assert "所属工会" in page and "王小明" in page and "李小红" in page
    only_tc = client.get("/students?union=TC").get_data(as_text=True)
    assert "李小红" in only_tc and "王小明" not in only_tc


def test_create_student_page(world, client, login):
    login(world.xa_staff)
    page = client.get("/students/new").get_data(as_text=True)
    assert "登记受助学生" in page and "西安市总工会（XA）" in page
    resp = client.post("/students/new", data=form(1))
    assert resp.status_code == 302
    student = db.session.scalars(select(Student).where(Student.name == "页面一")).one()
    assert resp.headers["Location"].endswith(f"/students/{student.id}")
    assert student.family_hardship == "母亲重病" and student.university_city == "西安"
    assert "已登记学生" in client.get(resp.headers["Location"]).get_data(as_text=True)


def test_create_page_shows_errors_in_chinese(world, client, login):
    login(world.xa_staff)
    page = client.post(
        "/students/new", data=form(2, id_number=bad_check_digit(good_id(2)), phone="123")
    ).get_data(as_text=True)
    assert "身份证号校验位错误" in page and "手机号应为以1开头的11位数字" in page
    client.post("/students/new", data=form(3))
    page = client.post("/students/new", data=form(4, id_number=good_id(3))).get_data(as_text=True)
    assert "该身份证号已登记" in page
    page = client.post("/students/new", data=form(5, union_code="TC")).get_data(as_text=True)
    assert "Not a valid choice" in page or "不是有效" in page or "选择" in page
    assert count(Student) == 3  # world's 2 + page3


def test_edit_student_page(world, client, login):
    login(world.xa_staff)
    sid = world.stu_xa.id
    page = client.get(f"/students/{sid}/edit").get_data(as_text=True)
    assert world.stu_xa.id_number_masked in page and "不修改请留空" in page
    data = form(1, name="王大明", id_number="")
    data.pop("username"), data.pop("password")
    resp = client.post(f"/students/{sid}/edit", data=data)
    assert resp.status_code == 302
    db.session.expire_all()
    student = db.session.get(Student, sid)
    assert student.name == "王大明" and student.phone == "13600000001"
    old_hash = student.id_number_hash
    resp = client.post(f"/students/{sid}/edit", data={**data, "id_number": good_id(61)})
    db.session.expire_all()
    assert db.session.get(Student, sid).id_number_hash != old_hash
    page = client.post(f"/students/{sid}/edit", data={**data, "phone": "1"}).get_data(as_text=True)
    assert "手机号应为以1开头的11位数字" in page


def test_detail_page(world, client, login):
    services.add_aid_record(
        world.xa_staff,
        world.stu_xa.id,
        year=2025,
        amount_yuan=5000,
        category="key_university",
        note="首次资助",
    )
    services.update_student(world.xa_staff, world.stu_xa.id, family_hardship="父亲下岗")
    login(world.xa_staff)
    page = client.get(f"/students/{world.stu_xa.id}").get_data(as_text=True)
    assert world.stu_xa.id_number_masked in page
    assert "显示完整号码" in page
    assert "父亲下岗" in page and "5,000" in page and "985/211高校" in page
    assert world.ent_xa.name in page and "生效中" in page
    assert f"/users/{world.stu_xa_user.id}/password-reset" in page
    assert "stu_xa" in page


def test_reveal_shows_the_number_once_and_is_audited(world, client, login):
    student = services.create_student(
        world.xa_staff,
        username="rev1",
        password="Welcome-2026",
        name="揭示",
        id_number=good_id(31),
        phone="13100000000",
        university="西北大学",
        union_code="XA",
    )
    login(world.xa_staff)
    assert good_id(31) not in client.get(f"/students/{student.id}").get_data(as_text=True)
    resp = client.post(f"/students/{student.id}/reveal")
    assert resp.status_code == 200
    assert good_id(31) in resp.get_data(as_text=True)
    assert resp.headers["Cache-Control"] == "no-store"
    assert good_id(31) not in client.get(f"/students/{student.id}").get_data(as_text=True)
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "id_revealed")).all()
    assert [(e.entity_id, e.actor_id) for e in entries] == [(str(student.id), world.xa_staff.id)]
    assert client.get(f"/students/{student.id}/reveal").status_code == 405


def test_reveal_needs_csrf(app_factory, world):
    sid = world.stu_xa.id
    db.session.rollback()  # SQLite: free the write lock for the second app's requests
    app = app_factory(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post("/login", data={"username": "xa_staff", "password": PASSWORD, "csrf_token": token})
    resp = client.post(f"/students/{sid}/reveal")
    assert resp.status_code == 400
    detail = client.get(f"/students/{sid}").get_data(as_text=True)
    token = detail.split('name="csrf_token" value="')[1].split('"')[0]
    resp = client.post(f"/students/{sid}/reveal", data={"csrf_token": token})
    assert resp.status_code == 200


def test_add_aid_record_page(world, client, login):
    login(world.xa_staff)
    url = f"/students/{world.stu_xa.id}/aid"
    resp = client.post(
        url, data={"year": "2025", "amount_yuan": "3000", "category": "regular", "note": "首次"}
    )
    assert resp.status_code == 302 and resp.headers["Location"].endswith("#aid")
    assert count(AidRecord) == 1
    resp = client.post(url, data={"year": "2025", "amount_yuan": "-5", "category": "regular"})
    assert resp.status_code == 400
    resp = client.post(url, data={"year": "abc", "amount_yuan": "5", "category": "985"})
    assert resp.status_code == 400
    assert count(AidRecord) == 1


def _upload(client, data: bytes, filename: str):
    return client.post(
        "/students/import",
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def test_import_page_success(world, client, login):
    login(world.xa_staff)
    page = client.get("/students/import").get_data(as_text=True)
    assert "下载 Excel 模板" in page and "身份证号" in page and "全部或不导入" in page
    resp = _upload(client, xlsx_file([import_row(n) for n in range(1, 4)]), "名单.xlsx")
    assert "导入成功：共登记 3 名学生" in resp.get_data(as_text=True)
    assert count(Student) == 5


def test_import_page_lists_every_bad_row(world, client, login):
    login(world.xa_staff)
    rows = [import_row(n) for n in range(1, 5)]
    rows[1]["id_number"] = bad_check_digit(rows[1]["id_number"])
    rows[2]["username"] = "stu_tc"
    resp = _upload(client, csv_file(rows, chinese=False), "list.csv")
    page = resp.get_data(as_text=True)
    assert "未导入任何学生" in page
    assert "第 3 行" in page and "身份证号校验位错误" in page
    assert "第 4 行" in page and "用户名“stu_tc”已被使用" in page
    assert "第 2 行" not in page and "第 5 行" not in page
    assert count(Student) == 2


def test_import_page_file_problems(world, client, login):
    login(world.xa_staff)
    page = _upload(client, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "old.xlsx").get_data(
        as_text=True
    )
    assert ".xls" in page and "另存为 .xlsx" in page
    page = client.post("/students/import", data={}, content_type="multipart/form-data")
    assert "请选择文件" in page.get_data(as_text=True)


def test_template_download(world, client, login):
    login(world.xa_staff)
    resp = client.get("/students/import/template.xlsx")
    assert resp.status_code == 200
    assert resp.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in resp.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(resp.data))
    header = [c.value for c in book["学生名单"][1]]
    assert header[:3] == ["姓名", "身份证号", "手机号"]


@pytest.mark.parametrize("chinese", [True, False])
def test_template_filled_in_imports(world, client, login, chinese):
    login(world.xa_staff)
    book = openpyxl.load_workbook(io.BytesIO(client.get("/students/import/template.xlsx").data))
    sheet = book["学生名单"]
    if not chinese:
        for index, cell in enumerate(sheet[1]):
            cell.value = list(import_row(1))[index]
    values = import_row(9)
    sheet.append(list(values.values()))
    out = io.BytesIO()
    book.save(out)
    page = _upload(client, out.getvalue(), "filled.xlsx").get_data(as_text=True)
    assert "导入成功：共登记 1 名学生" in page


def test_import_shows_a_one_time_printable_list_of_logins(world, client, login):
    login(world.xa_staff)
    rows = [import_row(n) for n in (1, 2)]
    resp = client.post(
        "/students/import",
        data={"file": (io.BytesIO(csv_file(rows)), "名单.csv")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    html = resp.get_data(as_text=True)
    assert "账号与初始密码" in html and "只显示这一次" in html and "data-print" in html
    for row in rows:
        assert row["username"] in html and row["password"] in html and row["name"] in html


def test_bulk_password_reset_for_selected_students(world, client, login, make_student):
    from volunteer.audit import AuditEntry
    from volunteer.auth.models import User
    from volunteer.auth.passwords import verify_password

    other = make_student("XA", "钱多多")
    login(world.xa_staff)
    assert 'action="/students/password-reset"' in client.get("/students").get_data(as_text=True)
    resp = client.post("/students/password-reset", data={"ids": [world.stu_xa.id, other.id]})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "已重置 2 名学生的密码" in html
    users = db.session.scalars(
        select(User).where(User.student_id.in_([world.stu_xa.id, other.id]))
    ).all()
    for user in users:
        db.session.refresh(user)
        password = re.search(
            rf"<code>{user.username}</code></td>\s*<td[^>]*><code class=\"password\">(\w+)</code>",
            html,
        ).group(1)
        assert verify_password(user.password_hash, password) and user.must_change_password
    resets = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "password_reset")
    ).all()
    assert {e.entity_id for e in resets} == {str(u.id) for u in users}
    # Another city's student cannot be reset from here: nothing changes.
    refused = client.post("/students/password-reset", data={"ids": [world.stu_tc.id]})
    assert refused.status_code == 302
    assert (
        db.session.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.action == "password_reset")
        )
        == 2
    )
