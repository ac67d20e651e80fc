"""Report and certificate pages: they render in Chinese, act, and keep to scope."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.report_support import add_session
from volunteer.checkin.models import ServiceSession
from volunteer.extensions import db
from volunteer.periods.models import Attestation
from volunteer.reports.models import Certificate


@pytest.fixture
def nov(world, frozen):
    frozen("2026-11-01 08:00")
    add_session(world.agr_xa, world.site_xa, "2026-11-07 09:00", 600, flags="poster")
    add_session(world.agr_xa, world.site_xa, "2026-11-08 09:00", 60, status="pending")
    frozen("2026-12-03 10:00")
    return world


def _text(resp) -> str:
    assert resp.status_code == 200, resp.status_code
    return resp.get_data(as_text=True)


def test_enterprise_page_defaults_to_current_month(login, nov):
    page = _text(login(nov.ent_xa_staff).get("/reports/enterprise"))
    assert "2026年12月服务时长月报" in page
    assert "本月结束后，可在此签字确认" in page


def test_enterprise_page_for_november(login, nov):
    page = _text(login(nov.ent_xa_staff).get("/reports/enterprise?month=2026-11"))
    assert "王小明" in page and "10.0" in page and "海报码" in page
    assert f"/reports/enterprise/{nov.ent_xa.id}/2026-11.xlsx" in page
    # R30: the pending session is listed with a link to settle it, instead of the form
    pending = db.session.scalars(
        select(ServiceSession).where(ServiceSession.status == "pending")
    ).one()
    assert "还有 1 条服务记录未处理" in page
    assert f'href="/checkin/sessions/{pending.id}"' in page and "去确认" in page
    assert 'name="confirm"' not in page


def test_bad_month_falls_back_with_a_message(login, nov):
    page = _text(login(nov.ent_xa_staff).get("/reports/enterprise?month=2026-99"))
    assert "2026年12月服务时长月报" in page and "月份" in page


def test_attest_from_the_page(login, nov):
    client = login(nov.ent_xa_staff)
    url = f"/reports/enterprise/{nov.ent_xa.id}/2026-11/attest"
    resp = client.post(url, data={})
    assert resp.status_code == 302
    assert db.session.scalars(select(Attestation)).first() is None
    resp = client.post(url, data={"confirm": "y"})  # refused: a session is pending
    assert resp.status_code == 302
    assert db.session.scalars(select(Attestation)).first() is None
    pending = db.session.scalars(
        select(ServiceSession).where(ServiceSession.status == "pending")
    ).one()
    client.post(f"/checkin/sessions/{pending.id}/confirm", data={})
    page = _text(client.get("/reports/enterprise?month=2026-11"))
    assert 'name="confirm"' in page and "unresolved-list" not in page
    resp = client.post(url, data={"confirm": "y"})
    assert resp.status_code == 302
    page = _text(client.get("/reports/enterprise?month=2026-11"))
    assert "已签字确认" in page and nov.ent_xa_staff.name in page
    assert 'name="confirm"' not in page
    # The current month cannot be attested yet.
    client.post(f"/reports/enterprise/{nov.ent_xa.id}/2026-12/attest", data={"confirm": "y"})
    assert db.session.scalars(select(Attestation)).all()[-1].month == "2026-11"


def test_page_downloads(login, nov):
    client = login(nov.ent_xa_staff)
    resp = client.get(f"/reports/enterprise/{nov.ent_xa.id}/2026-11.csv")
    assert resp.status_code == 200 and resp.data.startswith(b"\xef\xbb\xbf")
    assert "attachment" in resp.headers["Content-Disposition"]
    assert client.get(f"/reports/enterprise/{nov.ent_tc.id}/2026-11.csv").status_code == 404


def test_union_staff_pick_then_view(login, nov):
    client = login(nov.xa_staff)
    pick = _text(client.get("/reports/enterprise"))
    assert "西安爱心科技有限公司" in pick and "铜川爱心制造有限公司" not in pick
    page = _text(client.get(f"/reports/enterprise?enterprise_id={nov.ent_xa.id}&month=2026-11"))
    assert "王小明" in page and "企业尚未签字确认" in page
    assert 'name="confirm"' not in page
    assert client.get(f"/reports/enterprise?enterprise_id={nov.ent_tc.id}").status_code == 404


def test_union_summary_page(login, nov):
    client = login(nov.sx_staff)
    page = _text(client.get("/reports?month=2026-11"))
    assert "<svg" in page and "西安市总工会" in page and "铜川市总工会" in page
    assert "西安爱心科技有限公司" in page
    assert "/reports/unions/SX/2026-11.xlsx" in page
    drill = _text(client.get("/reports?union_code=XA&month=2026-11"))
    assert "返回本级汇总" in drill
    resp = client.get("/reports/unions/SX/2026-11.xlsx")
    assert resp.status_code == 200 and resp.data[:2] == b"PK"
    # The same browser, now as XA's officer: TC is outside its subtree.
    assert login(nov.xa_staff).get("/reports?union_code=TC").status_code == 404


def test_union_summary_pages_its_enterprises(login, nov, monkeypatch):
    from volunteer.reports import views

    monkeypatch.setattr(views, "ENTERPRISES_PER_PAGE", 1)
    client = login(nov.sx_staff)
    first = _text(client.get("/reports?month=2026-11"))
    assert "西安爱心科技有限公司" in first and "铜川爱心制造有限公司" not in first
    assert "第 1 / 2 页" in first and "下载的 Excel / CSV 文件包含全部企业" in first
    second = _text(client.get("/reports?month=2026-11&page=2&sort=name"))
    assert "铜川爱心制造有限公司" in second and "西安爱心科技有限公司" not in second
    # A page past the end shows the last one; an unknown order is the name order.
    assert "铜川爱心制造有限公司" in _text(client.get("/reports?month=2026-11&page=99"))
    odd = _text(client.get("/reports?month=2026-11&page=-1&sort=%3Cscript%3E"))
    assert "西安爱心科技有限公司" in odd and "<script>" not in odd
    # The file keeps every enterprise.
    csv = client.get("/reports/unions/SX/2026-11.csv").get_data(as_text=True)
    assert "西安爱心科技有限公司" in csv and "铜川爱心制造有限公司" in csv


def test_union_summary_sorts_the_worst_enterprise_first(login, nov, monkeypatch):
    from volunteer.reports import views

    monkeypatch.setattr(views, "ENTERPRISES_PER_PAGE", 1)
    # XA's student reaches 25 h of 24; TC's served nothing in November.
    add_session(nov.agr_xa, nov.site_xa, "2026-11-14 09:00", 900)
    client = login(nov.sx_staff)
    by_name = _text(client.get("/reports?month=2026-11"))
    by_rate = _text(client.get("/reports?month=2026-11&sort=rate"))
    by_missed = _text(client.get("/reports?month=2026-11&sort=missed"))
    assert "西安爱心科技有限公司" in by_name and "铜川爱心制造有限公司" not in by_name
    for page in (by_rate, by_missed):
        assert "铜川爱心制造有限公司" in page and "西安爱心科技有限公司" not in page
    assert 'value="rate" selected' in by_rate and 'value="missed" selected' in by_missed
    # The pager keeps the order.
    assert "sort=rate" in by_rate and "page=2" in by_rate


def test_union_summary_page_refused_to_others(login, nov):
    assert login(nov.ent_xa_staff).get("/reports").status_code == 403


def test_student_certificates_page(login, nov):
    client = login(nov.stu_xa_user)
    page = _text(client.get("/certificates"))
    assert "申请出具证明" in page and 'value="2026-11"' in page
    resp = client.post(
        "/certificates", data={"from_month": "2026-11", "to_month": "2026-11", "kind": ""}
    )
    assert resp.status_code == 302
    cert = db.session.scalars(select(Certificate)).one()
    page = _text(client.get("/certificates"))
    assert "志愿服务记录证明" in page and "10.0" in page and "有效" in page
    assert f"/certificates/{cert.id}.pdf" in page
    pdf = client.get(f"/certificates/{cert.id}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_student_certificate_form_errors(login, nov):
    client = login(nov.stu_xa_user)
    page = _text(
        client.post("/certificates", data={"from_month": "2026-11", "to_month": "2026-10"})
    )
    assert "结束月份不能早于开始月份" in page
    page = _text(
        client.post("/certificates", data={"from_month": "2026-09", "to_month": "2026-09"})
    )
    assert "没有已确认的志愿服务时长" in page
    assert db.session.scalars(select(Certificate)).first() is None


def test_union_certificate_pages(login, nov):
    client = login(nov.xa_staff)
    found = _text(client.get("/reports/certificates?q=王"))
    assert "王小明" in found
    url = f"/reports/students/{nov.stu_xa.id}/certificates"
    assert (
        client.post(url, data={"from_month": "2026-11", "to_month": "2026-11"}).status_code == 302
    )
    page = _text(client.get(url))
    assert "志愿服务记录证明" in page and "2026年11月" in page
    recent = _text(client.get("/reports/certificates"))
    assert "最近出具的证明" in recent and "王小明" in recent
    assert login(nov.tc_staff).get(url).status_code == 404


def test_verify_page_is_public(client, nov):
    from volunteer.reports import services

    cert = services.issue_certificate(nov.xa_staff, nov.stu_xa.id, "2026-11", "2026-11")
    page = _text(client.get(f"/verify/{cert.code}"))
    assert "证明真实有效" in page and "王*明" in page and "王小明" not in page
    missing = client.get("/verify/not-a-real-code-000")
    assert missing.status_code == 404 and "未找到该证明" in missing.get_data(as_text=True)


def test_nav_points_at_report_pages(login, nov):
    assert "/reports" in _text(login(nov.xa_staff).get("/reports"))


def test_student_is_told_a_certificate_is_void(login, nov):
    """A superseded certificate reads 已作废 on the page and on its download button, and
    the student is told why at the top of the page."""
    from volunteer import events
    from volunteer.checkin.models import ServiceSession

    client = login(nov.stu_xa_user)
    client.post("/certificates", data={"from_month": "2026-11", "to_month": "2026-11", "kind": ""})
    assert "已作废" not in _text(client.get("/certificates"))
    from tests.report_support import set_minutes

    confirmed = select(ServiceSession).where(ServiceSession.status == "confirmed")
    set_minutes(db.session.scalars(confirmed).one(), 300)
    events.hours_changed.send(nov.stu_xa.id, months={"2026-11"})
    db.session.commit()
    page = _text(client.get("/certificates"))
    assert "你有 1 份证明已作废" in page and "下载 PDF（已作废）" in page
