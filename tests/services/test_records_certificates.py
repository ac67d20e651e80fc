"""Certificates with the national fields of R39: issuer, 负责人, 经办人, contact, number,
volunteer number, seal; internship certificates carry the evaluations (R38); verification."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.report_support import add_session, set_minutes
from volunteer import events
from volunteer.extensions import db
from volunteer.records import services as records
from volunteer.reports import services
from volunteer.reports.certificate_access import download_certificate
from volunteer.unions import services as unions
from volunteer.unions.seal_image import seal_png


@pytest.fixture
def served(world, frozen, make_agreement):
    """王小明 served at 西安 (volunteer) in October–November and interned at 铜川 in August."""
    frozen("2026-08-01 08:00")
    w = world
    w.stu_xa.volunteer_number = "61010320260007"
    w.agr_xa.service_content = "社区图书馆志愿服务：图书整理、少儿阅读辅导"
    w.intern = make_agreement(w.stu_xa, w.ent_tc, "2026-08-01", "2026-08-31", kind="internship")
    db.session.commit()
    add_session(w.intern, w.site_tc, "2026-08-05 09:00", 480)
    frozen("2026-10-01 08:00")
    w.oct1 = add_session(w.agr_xa, w.site_xa, "2026-10-10 09:00", 600)
    w.nov1 = add_session(w.agr_xa, w.site_xa, "2026-11-07 09:00", 500)
    frozen("2026-12-05 10:00")
    unions.update_profile(w.xa_staff, "XA", leader_name="刘主席", contact="029-86541234")
    return w


def pdf_text(data: bytes) -> str:
    result = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True)
    # Table cells wrap long names: compare without the layout's spaces and line breaks.
    return "".join(result.stdout.decode().split())


def test_issued_by_staff_carries_every_national_field(served):
    w = served
    cert = services.issue_certificate(w.xa_staff, w.stu_xa.id, "2026-10", "2026-11")
    body = services.certificate_to_dict(cert)
    assert body["number"].startswith("ZY20261205-") and len(body["number"]) == 19
    assert body["volunteer_number"] == "61010320260007"
    assert body["issuer"] == {
        "union_name": "西安市总工会",
        "leader_name": "刘主席",
        "handler_name": "测试用户",
        "contact": "029-86541234",
    }
    assert cert.entries[0]["service_content"].startswith("社区图书馆志愿服务")
    text = pdf_text(download_certificate(w.xa_staff, cert.id).data)
    for expected in (
        "志愿服务记录证明",
        "王小明",
        "居民身份证",
        w.stu_xa.id_number_masked,
        "61010320260007",
        "社区图书馆志愿服务",
        "高新区服务点",
        "2026年10月10日",
        "18.3",
        "西安爱心科技有限公司",
        "西安市总工会",
        "刘主席",
        "测试用户",
        "029-86541234",
        cert.number,
        "2026年12月5日",
    ):
        assert expected in text, expected
    assert "实习" not in text.split("注：")[0]  # internship hours stay apart


def test_student_issued_certificate_names_the_system_as_handler(served):
    w = served
    cert = services.issue_certificate(w.stu_xa_user, w.stu_xa.id, "2026-10", "2026-10")
    assert cert.issuer["handler_name"] == "系统自助出具"


def test_seal_is_printed_when_uploaded(served, tmp_path):
    w = served
    plain = download_certificate(
        w.xa_staff, services.issue_certificate(w.xa_staff, w.stu_xa.id, "2026-10", "2026-11").id
    ).data
    unions.upload_seal(w.xa_staff, "XA", seal_png("西安市总工会"))
    cert = services.issue_certificate(w.xa_staff, w.stu_xa.id, "2026-10", "2026-11")
    sealed = download_certificate(w.xa_staff, cert.id).data
    assert b"/Subtype /Image" in sealed and b"/Subtype /Image" not in plain
    out = os.environ.get("CERTIFICATE_PNG_DIR")
    if out:  # render for a person to look at: CERTIFICATE_PNG_DIR=/tmp pytest -k seal
        (tmp_path / "c.pdf").write_bytes(sealed)
        subprocess.run(
            ["pdftoppm", "-png", "-r", "80", str(tmp_path / "c.pdf"), f"{out}/certificate"],
            check=True,
        )


def test_internship_certificate_carries_the_evaluations(served):
    w = served
    records.evaluate(w.ent_tc_staff, w.intern.id, "2026-08", 4, "动手能力强，肯钻研")
    cert = services.issue_certificate(
        w.xa_staff, w.stu_xa.id, "2026-08", "2026-11", kind="internship"
    )
    assert cert.minutes == 480 and cert.evaluations == [
        {
            "month": "2026-08",
            "enterprise_name": "铜川爱心制造有限公司",
            "rating": 4,
            "comment": "动手能力强，肯钻研",
        }
    ]
    text = pdf_text(download_certificate(w.xa_staff, cert.id).data)
    assert "实习证明" in text and "动手能力强，肯钻研" in text and "4分" in text
    volunteer = services.issue_certificate(w.xa_staff, w.stu_xa.id, "2026-08", "2026-11")
    assert volunteer.minutes == 1100 and volunteer.evaluations is None


def test_verify_by_code_or_typed_number_never_shows_an_id_number(served):
    w = served
    cert = services.issue_certificate(w.xa_staff, w.stu_xa.id, "2026-10", "2026-11")
    by_code = services.verify_certificate(cert.code)
    typed = " " + cert.number.lower()[:10] + " " + cert.number.lower()[10:] + " "
    by_number = services.verify_certificate(typed)
    assert by_code == by_number
    assert by_code["volunteer_number"] == "61010320260007"
    assert by_code["issuer_name"] == "西安市总工会"
    assert by_code["student_name_masked"] == "王*明"
    assert w.stu_xa.id_number_masked not in str(by_code)
    with pytest.raises(Exception) as caught:
        services.verify_certificate("ZY20261205-XXXXXXXX")
    assert getattr(caught.value, "status", None) == 404


def test_certificate_is_superseded_when_hours_change(served):
    w = served
    cert = services.issue_certificate(w.xa_staff, w.stu_xa.id, "2026-10", "2026-11")
    set_minutes(w.nov1, 400)
    events.hours_changed.send(w.stu_xa.id, months={"2026-11"}, actor=None)
    db.session.commit()
    assert services.verify_certificate(cert.number)["status"] == "superseded"
