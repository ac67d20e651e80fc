"""Record pages (R37–R40): they render in Chinese, act, refuse bad input, keep to scope."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from tests.report_support import add_session
from volunteer.agreements.models import Agreement
from volunteer.extensions import db
from volunteer.records.models import Evaluation, ExportMark, StudentRecord
from volunteer.students.models import Student
from volunteer.unions.models import Union, UnionSeal
from volunteer.unions.seal_image import seal_png


@pytest.fixture
def nov(world, frozen):
    frozen("2026-11-01 08:00")
    add_session(world.agr_xa, world.site_xa, "2026-11-07 09:00", 600, flags="uninsured")
    frozen("2026-12-03 10:00")
    return world


def _text(resp, status: int = 200) -> str:
    assert resp.status_code == status, (resp.status_code, resp.location)
    return resp.get_data(as_text=True)


def test_union_profile_page_saves_and_uploads_the_seal(login, world):
    client = login(world.xa_staff)
    page = _text(client.get("/unions/XA/profile"))
    assert "证明出具信息" in page and "负责人" in page and "电子印章" in page
    resp = client.post(
        "/unions/XA/profile",
        data={"leader_name": "刘主席", "contact": "029-86541234", "require_insurance": "y"},
    )
    assert resp.status_code == 302
    union = db.session.get(Union, "XA")
    assert (union.leader_name, union.contact, union.require_insurance) == (
        "刘主席",
        "029-86541234",
        True,
    )
    bad = client.post(
        "/unions/XA/seal",
        data={"file": (io.BytesIO(b"GIF89a not a png"), "seal.gif")},
        content_type="multipart/form-data",
    )
    assert "印章图片须为 PNG 格式" in _text(bad, 400)
    assert db.session.get(UnionSeal, "XA") is None
    good = client.post(
        "/unions/XA/seal",
        data={"file": (io.BytesIO(seal_png("西安市总工会")), "seal.png")},
        content_type="multipart/form-data",
    )
    assert good.status_code == 302
    image = client.get("/unions/XA/seal.png")
    assert image.status_code == 200 and image.data.startswith(b"\x89PNG")
    assert login(world.tc_staff).get("/unions/XA/profile").status_code == 404


def test_agreement_terms_page_refuses_insurance_ending_before_it_starts(login, world):
    client = login(world.ent_xa_staff)
    url = f"/agreements/{world.agr_xa.id}/terms"
    assert "服务条款与意外保险" in _text(client.get(url))
    bad = client.post(
        url, data={"insurer": "中国人寿", "insured_from": "2026-10-01", "insured_to": "2026-09-01"}
    )
    assert "保险截止日期不能早于保险起始日期" in _text(bad)
    db.session.expire_all()
    assert db.session.get(Agreement, world.agr_xa.id).insurer is None
    ok = client.post(
        url,
        data={
            "service_content": "图书整理",
            "insurer": "中国人寿",
            "insured_from": "2026-09-01",
            "insured_to": "2027-06-30",
        },
    )
    assert ok.status_code == 302
    detail = _text(client.get(f"/agreements/{world.agr_xa.id}"))
    assert "图书整理" in detail and "中国人寿" in detail


def test_student_edit_form_refuses_a_bad_volunteer_number(login, world):
    client = login(world.xa_staff)
    form = {
        "name": world.stu_xa.name,
        "phone": world.stu_xa.phone,
        "university": world.stu_xa.university,
        "union_code": "XA",
        "volunteer_number": "61-0103",
    }
    page = _text(client.post(f"/students/{world.stu_xa.id}/edit", data=form))
    assert "志愿者编号只能是字母和数字" in page
    db.session.expire_all()
    assert db.session.get(Student, world.stu_xa.id).volunteer_number is None
    resp = client.post(
        f"/students/{world.stu_xa.id}/edit", data=form | {"volunteer_number": "61010320260001"}
    )
    assert resp.status_code == 302
    assert "61010320260001" in _text(client.get(f"/students/{world.stu_xa.id}"))


def test_import_reads_the_volunteer_number_column(login, world):
    from tests.conftest import valid_id_number

    csv = (
        "姓名,身份证号,手机号,学校,志愿者编号,工会代码,用户名,初始密码\n"
        f"周同学,{valid_id_number(801)},13600001111,西北大学,A12345,XA,zhou801,Welcome2026\n"
    ).encode("utf-8-sig")
    client = login(world.xa_staff)
    resp = client.post(
        "/students/import",
        data={"file": (io.BytesIO(csv), "list.csv")},
        content_type="multipart/form-data",
    )
    # A successful import answers with the one-time list of accounts and initial passwords.
    assert resp.status_code == 200 and "账号与初始密码" in resp.get_data(as_text=True)
    student = db.session.scalars(select(Student).where(Student.name == "周同学")).one()
    assert student.volunteer_number == "A12345"
    bad = csv.replace(b"A12345", b"A-12").replace(b"zhou801", b"zhou802")
    bad = bad.replace(valid_id_number(801).encode(), valid_id_number(802).encode())
    page = _text(
        client.post(
            "/students/import",
            data={"file": (io.BytesIO(bad), "list.csv")},
            content_type="multipart/form-data",
        )
    )
    assert "志愿者编号只能是字母和数字" in page


def test_template_has_the_volunteer_number_column(login, world):
    import openpyxl

    data = login(world.xa_staff).get("/students/import/template.xlsx").data
    headers = [c.value for c in openpyxl.load_workbook(io.BytesIO(data)).active[1]]
    assert "志愿者编号" in headers


def test_enterprise_evaluates_from_the_list_page(login, nov):
    client = login(nov.ent_xa_staff)
    page = _text(client.get("/evaluations?month=2026-11"))
    assert "学生评价" in page and "王小明" in page and "本月已确认 10.0 小时" in page
    prefix = f"a{nov.agr_xa.id}-"
    resp = client.post(
        f"/evaluations/{nov.agr_xa.id}",
        data={prefix + "month": "2026-11", prefix + "rating": "4", prefix + "comment": "认真"},
    )
    assert resp.status_code == 302
    evaluation = db.session.scalars(select(Evaluation)).one()
    assert (evaluation.month, evaluation.rating, evaluation.comment) == ("2026-11", 4, "认真")
    again = client.post(
        f"/evaluations/{nov.agr_xa.id}",
        data={prefix + "month": "2026-11", prefix + "rating": "2"},
        follow_redirects=True,
    )
    assert "该学生本月已评价" in _text(again)
    assert db.session.scalars(select(Evaluation)).one().rating == 4
    assert "4 分" in _text(client.get("/evaluations?month=2026-11"))
    assert login(nov.ent_tc_staff).post(f"/evaluations/{nov.agr_xa.id}").status_code == 404


def test_student_record_page_for_union_and_student(login, nov, client):
    from volunteer.records import services

    services.evaluate(nov.ent_xa_staff, nov.agr_xa.id, "2026-11", 5, "表现优秀")
    staff = login(nov.xa_staff)
    page = _text(staff.get(f"/students/{nov.stu_xa.id}/volunteer-record"))
    assert "王小明 的志愿服务档案" in page and "表现优秀" in page
    resp = staff.post(
        f"/students/{nov.stu_xa.id}/volunteer-record",
        data={"kind": "award", "title": "优秀志愿者", "on": "2026-11-30", "issuer": "西安市总工会"},
    )
    assert resp.status_code == 302
    assert db.session.scalars(select(StudentRecord)).one().title == "优秀志愿者"
    bad = staff.post(
        f"/students/{nov.stu_xa.id}/volunteer-record",
        data={"kind": "award", "title": "", "on": "2026-11-30"},
    )
    assert bad.status_code == 400
    assert len(db.session.scalars(select(StudentRecord)).all()) == 1
    assert login(nov.tc_staff).get(f"/students/{nov.stu_xa.id}/volunteer-record").status_code == 404
    mine = _text(login(nov.stu_xa_user).get("/my/record"))
    assert "优秀志愿者" in mine and "表现优秀" in mine and "实习时长" in mine
    assert "记录培训或表彰" not in mine


def test_national_export_page_lists_rows_and_changes(login, nov):
    client = login(nov.xa_staff)
    page = _text(client.get("/reports/national-export?month=2026-11"))
    assert "全国志愿服务信息系统导出" in page and "王小明" in page and "未导出" in page
    download = client.get("/reports/national-export/XA/2026-11.xlsx")
    assert download.status_code == 200 and download.data.startswith(b"PK")
    assert db.session.scalars(select(ExportMark)).one().status == "exported"
    assert "没有需要重新报送的记录" in _text(client.get("/reports/national-export?month=2026-11"))
    assert "/reports/national-export" in _text(client.get("/reports"))


def test_dashboard_counts_uninsured_sessions(login, nov):
    from volunteer.compliance.pages import dashboard

    page = _text(login(nov.xa_staff).get("/compliance?month=2026-11"))
    assert "未投保记录" in page and "flag=uninsured" in page
    assert dashboard(nov.xa_staff, "2026-11").uninsured_sessions == 1
    assert dashboard(nov.tc_staff, "2026-11").uninsured_sessions == 0
    assert dashboard(nov.xa_staff, "2026-10").uninsured_sessions == 0


def test_verify_form_takes_a_typed_number(client, nov):
    from volunteer.reports import services

    cert = services.issue_certificate(nov.xa_staff, nov.stu_xa.id, "2026-11", "2026-11")
    assert "证明编号" in _text(client.get("/verify"))
    resp = client.get("/verify", query_string={"number": cert.number.lower()})
    assert resp.status_code == 302
    page = _text(client.get(resp.location))
    assert "证明真实有效" in page and cert.number in page and "西安市总工会" in page
    assert nov.stu_xa.id_number_masked not in page
    assert _text(client.get("/verify/ZY20261203-ABCDEFGH"), 404)
