"""Report and certificate endpoints (API.md "Reports"): files, scope, attestation, verify."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests.report_support import add_session, set_minutes
from volunteer import events
from volunteer.audit import AuditEntry
from volunteer.extensions import db


@pytest.fixture
def nov(world, frozen, make_student, make_agreement):
    """Two students at 西安爱心科技 in November 2026; the clock on 3 December."""
    frozen("2026-11-01 08:00")
    w = world
    w.stu_b = make_student("XA", "张三丰", university="西安交通大学")
    w.agr_b = make_agreement(w.stu_b, w.ent_xa)
    add_session(w.agr_xa, w.site_xa, "2026-11-07 09:00", 24 * 60)
    add_session(w.agr_b, w.site_xa, "2026-11-07 09:00", 300, flags="manual")
    add_session(w.agr_b, w.site_xa, "2026-11-08 09:00", 90, status="pending")
    add_session(w.agr_tc, w.site_tc, "2026-11-07 09:00", 120)
    frozen("2026-12-03 10:00")
    return w


def _csv_rows(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def _filename_star(resp) -> str:
    header = resp.headers["Content-Disposition"]
    assert header.startswith("attachment;")
    return unquote(header.split("filename*=UTF-8''", 1)[1])


def test_enterprise_csv(api, nov):
    resp = api(nov.ent_xa_staff).get(f"/enterprises/{nov.ent_xa.id}/reports/2026-11.csv")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("text/csv")
    assert _filename_star(resp) == "西安爱心科技有限公司-2026-11-服务时长月报.csv"
    assert (
        f'filename="enterprise-{nov.ent_xa.id}-2026-11.csv"' in resp.headers["Content-Disposition"]
    )
    rows = _csv_rows(resp.data)
    assert rows[0][:8] == [
        "姓名",
        "学校",
        "协议",
        "服务次数",
        "已确认小时",
        "待确认小时",
        "应服务小时",
        "状态",
    ]
    by_name = {r[0]: r for r in rows[1:-1]}
    assert set(by_name) == {"王小明", "张三丰"}
    assert by_name["王小明"][4:8] == ["24.0", "0.0", "24.0", "已达标"]
    assert by_name["张三丰"][1] == "西安交通大学"
    assert by_name["张三丰"][3:8] == ["2", "5.0", "1.5", "24.0", "未达标"]
    assert by_name["张三丰"][8] == "手工录入"
    assert rows[-1][0] == "合计" and rows[-1][3:7] == ["3", "29.0", "1.5", "48.0"]


def test_enterprise_xlsx(api, nov):
    resp = api(nov.xa_staff).get(f"/enterprises/{nov.ent_xa.id}/reports/2026-11.xlsx")
    assert resp.status_code == 200
    assert resp.mimetype.endswith("spreadsheetml.sheet")
    ws = load_workbook(io.BytesIO(resp.data)).active
    assert "西安爱心科技有限公司" in ws["A1"].value
    assert ws.freeze_panes == "A4"
    assert [c.value for c in ws[3]][:3] == ["姓名", "学校", "协议"]
    names = {ws.cell(row=r, column=1).value for r in (4, 5)}
    assert names == {"王小明", "张三丰"}
    assert ws.cell(row=6, column=1).value == "合计"
    assert ws.cell(row=6, column=5).value == 29.0


def _pdf_text(data: bytes) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext not installed")
    result = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    )
    return result.stdout.decode("utf-8")


def test_enterprise_pdf(api, nov):
    resp = api(nov.ent_xa_staff).get(f"/enterprises/{nov.ent_xa.id}/reports/2026-11.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    text = _pdf_text(resp.data)
    for word in ("王小明", "张三丰", "2026年11月服务时长月报", "合计", "尚未在平台签字确认"):
        assert word in text


def test_enterprise_json(api, nov):
    resp = api(nov.ent_xa_staff).get(f"/enterprises/{nov.ent_xa.id}/reports/2026-11")
    body = resp.get_json()
    assert resp.status_code == 200
    assert body["totals"] == {
        "students": 2,
        "sessions": 3,
        "confirmed_minutes": 1740,
        "pending_minutes": 90,
        "required_minutes": 2880,
    }
    assert {i["student_name"] for i in body["items"]} == {"王小明", "张三丰"}
    assert body["attested_at"] is None


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "pdf"])
def test_enterprise_download_scope(api, nov, fmt):
    path = f"/enterprises/{nov.ent_xa.id}/reports/2026-11.{fmt}"
    assert api().get(path).status_code == 401
    assert api(nov.stu_xa_user).get(path).status_code == 403
    assert api(nov.ent_tc_staff).get(path).status_code == 404
    assert api(nov.tc_staff).get(path).status_code == 404
    assert api(nov.sx_staff).get(path).status_code == 200
    assert (
        api(nov.ent_xa_staff).get("/enterprises/999999/reports/2026-11." + fmt).status_code == 404
    )


def test_enterprise_download_bad_input(api, nov):
    client = api(nov.ent_xa_staff)
    base = f"/enterprises/{nov.ent_xa.id}/reports"
    assert client.get(f"{base}/2026-13.csv").status_code == 400
    assert client.get(f"{base}/2099-01.csv").status_code == 400
    assert client.get(f"{base}/2026-11.doc").status_code in (400, 404)
    # Out of scope answers 404 before the bad month's 400.
    assert api(nov.ent_tc_staff).get(f"{base}/bad.csv").status_code == 404


def test_every_download_is_audited(api, nov):
    client = api(nov.ent_xa_staff)
    for fmt in ("csv", "xlsx", "pdf"):
        assert client.get(f"/enterprises/{nov.ent_xa.id}/reports/2026-11.{fmt}").status_code == 200
    assert api(nov.sx_staff).get("/unions/XA/reports/2026-11.csv").status_code == 200
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "downloaded").order_by(AuditEntry.id)
    ).all()
    assert [e.after["format"] for e in entries] == ["csv", "xlsx", "pdf", "csv"]
    assert {e.entity for e in entries} == {"report"}
    assert entries[-1].entity_id == "union:XA:2026-11"
    audit = api(nov.xa_staff).get("/audit?entity=report")
    if audit.status_code == 200:  # the audit endpoint lands with another feature
        assert len(audit.get_json()["items"]) >= 4


def test_attest_api(api, nov, frozen):
    path = f"/enterprises/{nov.ent_xa.id}/reports/2026-12/attest"
    client = api(nov.ent_xa_staff)
    resp = client.post(path)
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "month_not_over"
    assert api(nov.xa_staff).post(path).status_code == 403
    assert api(nov.ent_tc_staff).post(path).status_code == 404
    path = f"/enterprises/{nov.ent_xa.id}/reports/2026-11/attest"
    state = f"/enterprises/{nov.ent_xa.id}/reports/2026-11/attestation"
    assert client.get(state).get_json()["status"] == "none"
    # R30: a pending session stands in the way, and the refusal names it
    refused = client.post(path)
    assert refused.status_code == 409
    error = refused.get_json()["error"]
    assert error["code"] == "unresolved_sessions" and len(error["sessions"]) == 1
    assert client.post(f"/sessions/{error['sessions'][0]}/confirm").status_code == 200
    first = client.post(path)
    assert first.status_code == 200
    body = first.get_json()
    assert body["created"] is True and body["signer_name"] == nov.ent_xa_staff.name
    assert body["status"] == "current" and body["stale_since"] is None
    for reader in (client, api(nov.xa_staff)):
        got = reader.get(state).get_json()
        assert {k: got[k] for k in ("status", "attested_at", "signer_name")} == {
            "status": "current",
            "attested_at": body["attested_at"],
            "signer_name": body["signer_name"],
        }
    assert api(nov.ent_tc_staff).get(state).status_code == 404
    assert api(nov.tc_staff).get(state).status_code == 404
    assert api(nov.stu_xa_user).get(state).status_code == 403
    again = client.post(path)
    assert again.status_code == 200 and again.get_json()["created"] is False
    assert again.get_json()["attested_at"] == body["attested_at"]
    report = client.get(f"/enterprises/{nov.ent_xa.id}/reports/2026-11").get_json()
    assert report["attested_by"] == nov.ent_xa_staff.name
    pdf = client.get(f"/enterprises/{nov.ent_xa.id}/reports/2026-11.pdf").data
    assert "确认人" in _pdf_text(pdf)
    assert client.post(f"/enterprises/{nov.ent_xa.id}/reports/nonsense/attest").status_code == 400


def test_union_summary_files(api, nov):
    client = api(nov.sx_staff)
    resp = client.get("/unions/SX/reports/2026-11.csv")
    assert resp.status_code == 200
    assert _filename_star(resp) == "陕西省总工会-2026-11-达标汇总.csv"
    rows = _csv_rows(resp.data)
    assert rows[0][:3] == ["类别", "编码", "名称"]
    unions = {r[1]: r for r in rows[1:] if r[0] == "下级工会"}
    assert set(unions) == {"XA", "TC"}
    assert unions["XA"][3] == "2" and unions["XA"][6] == "1"  # 2 students, 1 met
    assert unions["XA"][-1] == "50%"
    enterprises = {r[2]: r for r in rows[1:] if r[0] == "企业"}
    assert set(enterprises) == {"西安爱心科技有限公司", "铜川爱心制造有限公司"}
    xlsx = client.get("/unions/SX/reports/2026-11.xlsx")
    wb = load_workbook(io.BytesIO(xlsx.data))
    assert wb.sheetnames == ["按下级工会", "按企业", "近12个月达标率"]
    history = wb["近12个月达标率"]
    assert history.cell(row=4, column=1).value == "2025年12月"
    assert history.cell(row=15, column=1).value == "2026年11月"
    assert history.cell(row=15, column=2).value == pytest.approx(1 / 3)


def test_union_summary_scope(api, nov):
    assert api(nov.xa_staff).get("/unions/SX/reports/2026-11.csv").status_code == 404
    assert api(nov.xa_staff).get("/unions/TC/reports/2026-11.xlsx").status_code == 404
    assert api(nov.xa_staff).get("/unions/XA/reports/2026-11.csv").status_code == 200
    assert api(nov.ent_xa_staff).get("/unions/XA/reports/2026-11.csv").status_code == 403
    assert api(nov.stu_xa_user).get("/unions/XA/reports/2026-11.csv").status_code == 403
    assert api().get("/unions/XA/reports/2026-11.csv").status_code == 401
    assert api(nov.xa_staff).get("/unions/XA/reports/2026-11.pdf").status_code in (400, 404)
    body = api(nov.sx_staff).get("/unions/SX/reports/2026-11").get_json()
    assert {u["key"] for u in body["unions"]} == {"XA", "TC"}
    assert len(body["history"]) == 12


def test_certificate_flow(api, nov, client):
    student = api(nov.stu_xa_user)
    resp = student.post(
        f"/students/{nov.stu_xa.id}/certificates",
        json={"from_month": "2026-11", "to_month": "2026-11"},
    )
    assert resp.status_code == 201, resp.get_json()
    cert = resp.get_json()
    assert cert["hours"] == 24.0 and cert["kind"] == "volunteer"
    assert cert["verify_url"].endswith(f"/verify/{cert['code']}")
    pdf = student.get(f"/certificates/{cert['id']}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = _pdf_text(pdf.data)
    assert "志愿服务记录证明" in text and "王小明" in text and "24.0" in text
    assert "西安市总工会" in text
    # A stranger verifies it without any login.
    verify = api().get(f"/certificates/verify/{cert['code']}")
    assert verify.status_code == 200
    assert verify.get_json()["status"] == "genuine"
    assert verify.get_json()["student_name_masked"] == "王*明"
    page = client.get(f"/verify/{cert['code']}")
    assert page.status_code == 200 and "证明真实有效" in page.get_data(as_text=True)
    # The enterprise corrects the November session: the certificate is superseded.
    from volunteer.checkin.models import ServiceSession

    session = db.session.scalars(
        select(ServiceSession).where(ServiceSession.student_id == nov.stu_xa.id)
    ).one()
    set_minutes(session, 23 * 60)
    events.hours_changed.send(nov.stu_xa.id, months={"2026-11"})
    db.session.commit()
    assert api().get(f"/certificates/verify/{cert['code']}").get_json()["status"] == "superseded"
    page = client.get(f"/verify/{cert['code']}")
    assert "此证明已作废" in page.get_data(as_text=True)
    text = _pdf_text(student.get(f"/certificates/{cert['id']}.pdf").data)
    assert "本证明已作废" in text
    listing = student.get(f"/students/{nov.stu_xa.id}/certificates").get_json()
    assert [c["status"] for c in listing["items"]] == ["superseded"]


def test_certificate_api_errors(api, nov, client):
    path = f"/students/{nov.stu_xa.id}/certificates"
    body = {"from_month": "2026-11", "to_month": "2026-11"}
    assert api().post(path, json=body).status_code == 401
    assert api(nov.ent_xa_staff).post(path, json=body).status_code == 403
    assert api(nov.stu_tc_user).post(path, json=body).status_code == 404
    assert api(nov.tc_staff).post(path, json=body).status_code == 404
    # 404 comes before 400: a bad body for a student out of scope is still 404.
    assert api(nov.tc_staff).post(path, json={"from_month": 5}).status_code == 404
    staff = api(nov.xa_staff)
    bad = staff.post(path, json={"from_month": 202611, "to_month": "2026-11"})
    assert bad.status_code == 400 and "from_month" in bad.get_json()["error"]["fields"]
    bad = staff.post(path, json={**body, "kind": "paid"})
    assert bad.status_code == 400 and "kind" in bad.get_json()["error"]["fields"]
    bad = staff.post(path, json={"from_month": "2026-12", "to_month": "2026-11"})
    assert bad.status_code == 400 and "to_month" in bad.get_json()["error"]["fields"]
    assert staff.post(path, data="{oops", content_type="application/json").status_code == 400
    none = staff.post(path, json={"from_month": "2026-09", "to_month": "2026-09"})
    assert none.status_code == 409 and none.get_json()["error"]["code"] == "invalid_state"
    assert staff.post(path, json=body).status_code == 201
    assert api().get("/certificates/verify/unknown-code-123456").status_code == 404
    assert api().get("/certificates/verify/x").status_code == 404
    assert client.get("/verify/unknown-code-123456").status_code == 404


def test_certificate_pdf_scope(api, nov):
    cert = api(nov.xa_staff).post(
        f"/students/{nov.stu_xa.id}/certificates",
        json={"from_month": "2026-11", "to_month": "2026-11"},
    )
    path = f"/certificates/{cert.get_json()['id']}.pdf"
    assert api().get(path).status_code == 401
    assert api(nov.ent_xa_staff).get(path).status_code == 403
    assert api(nov.stu_tc_user).get(path).status_code == 404
    assert api(nov.tc_staff).get(path).status_code == 404
    assert api(nov.sx_staff).get(path).status_code == 200
    assert api(nov.stu_xa_user).get(path).status_code == 200
    assert api(nov.stu_xa_user).get("/certificates/99999.pdf").status_code == 404
    downloads = db.session.scalars(
        select(AuditEntry).where(
            AuditEntry.entity == "certificate", AuditEntry.action == "downloaded"
        )
    ).all()
    assert len(downloads) == 2
