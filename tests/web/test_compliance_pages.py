"""Compliance and calendar pages: they render for each role, act through the services,
and issue the same number of SQL statements whatever the number of students."""

from __future__ import annotations

from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from tests.services.compliance_support import StatementCounter, add_minutes_fixture  # noqa: F401
from volunteer.calendar.models import CalendarOverride
from volunteer.compliance.models import Exemption
from volunteer.extensions import db
from volunteer.periods.models import MonthClose


def text(resp) -> str:
    return resp.get_data(as_text=True)


def test_dashboard_shows_who_is_at_risk(world, login, frozen, add_minutes):
    frozen("2026-11-16 10:00")
    add_minutes(world.stu_tc, world.agr_tc, "2026-11-01", 1440)
    client = login(world.sx_staff)
    resp = client.get("/compliance")
    assert resp.status_code == 200
    page = text(resp)
    assert "合规看板" in page and "2026 年 11 月" in page
    assert "王小明" in page and world.stu_xa.phone in page  # at risk, with a phone number
    assert "西安市总工会" in page and "铜川爱心制造有限公司" in page
    assert "<svg" in page and "近 12 个月达标率" in page
    assert "50.0%" in page  # one of two students met
    assert "2027 年的官方节假日安排尚未录入" in page
    assert 'style="' not in page and "<script>" not in page


def test_dashboard_filters_and_drill_down(world, login, frozen):
    frozen("2026-11-16 10:00")
    client = login(world.sx_staff)
    page = text(client.get("/compliance?union=TC"))
    assert "李小红" in page and "王小明" not in page
    page = text(client.get(f"/compliance/students?enterprise={world.ent_xa.id}&status=at_risk"))
    assert "王小明" in page and "李小红" not in page
    assert client.get("/compliance?union=NOPE").status_code == 404
    assert login(world.xa_staff).get("/compliance?union=TC").status_code == 404
    # Bad month words fall back to this month instead of failing.
    assert client.get("/compliance?month=2026-99").status_code == 200


def test_dashboard_pages_its_enterprise_table(
    world, login, frozen, make_student, make_enterprise, make_agreement
):
    frozen("2026-11-16 10:00")
    for n in range(30):
        ent = make_enterprise("XA", name=f"分页企业{n:02d}")
        make_agreement(make_student("XA"), ent)
    client = login(world.sx_staff)

    def rows(url):  # the table's links (the filter's options list every enterprise)
        return text(client.get(url)).replace("</option>", "")

    first = rows("/compliance")
    # 32 enterprises in all (the world's two and these): 25 on the first page.
    assert "分页企业00</a>" in first and "分页企业24</a>" in first
    assert "分页企业25</a>" not in first
    assert "第 1 / 2 页，共 32 条" in first and "page=2#enterprises" in first
    second = rows("/compliance?page=2")
    assert "分页企业25</a>" in second and "分页企业29</a>" in second
    assert "分页企业00</a>" not in second
    assert (
        "铜川爱心制造有限公司</a>" in second
    )  # sorted by name (code point): the world's come last
    # Out of range or junk: the nearest page, never an error.
    assert "分页企业29</a>" in rows("/compliance?page=99")
    assert "分页企业00</a>" in rows("/compliance?page=abc")


def test_the_enterprise_filter_lists_none_past_its_limit(world, login, frozen, monkeypatch):
    from volunteer.compliance import views

    frozen("2026-11-16 10:00")
    client = login(world.sx_staff)
    short = text(client.get("/compliance"))
    assert f'<option value="{world.ent_tc.id}" >' in short and "企业较多" not in short
    monkeypatch.setattr(views, "ENTERPRISE_SELECT_LIMIT", 1)
    long = text(client.get("/compliance"))
    assert f'<option value="{world.ent_tc.id}"' not in long
    assert "企业较多，未全部列出" in long and "#enterprises" in long
    # The enterprise picked from the table stays selected in the filter.
    picked = text(client.get(f"/compliance/students?enterprise={world.ent_tc.id}"))
    assert f'<option value="{world.ent_tc.id}" selected>' in picked
    assert f'<option value="{world.ent_xa.id}"' not in picked


def test_dashboard_is_for_union_staff(world, login):
    assert login(world.stu_xa_user).get("/compliance").status_code == 403
    assert login(world.ent_xa_staff).get("/compliance").status_code == 403


def test_export_lists_as_xlsx(world, login, frozen):
    frozen("2026-11-16 10:00")
    client = login(world.sx_staff)
    for which in ("students", "at_risk", "missed", "unmatched", "unions", "enterprises"):
        resp = client.get(f"/compliance/export.xlsx?list={which}&month=2026-11")
        assert resp.status_code == 200, which
        assert "attachment" in resp.headers["Content-Disposition"]
        sheet = load_workbook(BytesIO(resp.data)).active
        assert sheet["A1"].value.endswith("2026-11")
    sheet = load_workbook(BytesIO(client.get("/compliance/export.xlsx?list=at_risk").data)).active
    names = {sheet.cell(row=r, column=1).value for r in range(3, sheet.max_row + 1)}
    assert names == {"王小明", "李小红"}
    assert client.get("/compliance/export.xlsx?list=secret").status_code == 400
    ent = login(world.ent_xa_staff).get("/compliance/export.xlsx?list=students&month=2026-11")
    sheet = load_workbook(BytesIO(ent.data)).active
    assert sheet.cell(row=3, column=1).value == "王小明" and sheet.max_row == 3


def test_exemption_form(world, login, frozen):
    frozen("2026-11-16 10:00")
    client = login(world.xa_staff)
    page = client.get(f"/compliance/exemptions/new?student_id={world.stu_xa.id}&month=2026-11")
    assert page.status_code == 200 and "王小明" in text(page)
    resp = client.post(
        "/compliance/exemptions/new",
        data={"student_id": world.stu_xa.id, "month": "2026-11", "hours": "10", "reason": "考试周"},
    )
    assert resp.status_code == 302
    exemption = db.session.scalars(select(Exemption)).one()
    assert (exemption.minutes, exemption.reason) == (600, "考试周")
    detail = text(client.get(resp.headers["Location"]))
    assert "考试周" in detail and "14.0" in detail  # 24 − 10 hours still required
    # By phone number, whole month.
    resp = client.post(
        "/compliance/exemptions/new",
        data={"student": world.stu_xa.phone, "month": "2026-12", "whole": "y", "reason": "住院"},
    )
    assert resp.status_code == 302
    resp = client.post(
        "/compliance/exemptions/new",
        data={"student": world.stu_tc.phone, "month": "2026-12", "whole": "y", "reason": "住院"},
    )
    assert resp.status_code == 200 and "没有找到该手机号的学生" in text(resp)
    resp = client.post(
        "/compliance/exemptions/new",
        data={"student_id": world.stu_xa.id, "month": "2026-11", "reason": ""},
    )
    assert resp.status_code == 200 and "请填写理由" in text(resp)
    # Exactly one of "whole" and hours.
    for extra, message in (({}, "请填写免除时长"), ({"whole": "y", "hours": "4"}, "请不要再填写")):
        resp = client.post(
            "/compliance/exemptions/new",
            data={"student_id": world.stu_xa.id, "month": "2026-11", "reason": "考试", **extra},
        )
        assert resp.status_code == 200 and message in text(resp)
    assert db.session.scalar(select(func.count()).select_from(Exemption)) == 2


def test_revoke_an_exemption(world, login, frozen):
    frozen("2026-11-16 10:00")
    client = login(world.xa_staff)
    client.post(
        "/compliance/exemptions/new",
        data={"student_id": world.stu_xa.id, "month": "2026-11", "whole": "y", "reason": "考试周"},
    )
    exemption = db.session.scalars(select(Exemption)).one()
    resp = client.post(f"/compliance/exemptions/{exemption.id}/revoke", data={"reason": "登记错误"})
    assert resp.status_code == 302
    db.session.refresh(exemption)
    assert exemption.revoked_at is not None
    other = login(world.tc_staff).post(
        f"/compliance/exemptions/{exemption.id}/revoke", data={"reason": "x"}
    )
    assert other.status_code == 404


def test_close_page_warns_then_closes_and_reopens(world, login, frozen, add_minutes):
    add_minutes(world.stu_xa, world.agr_xa, "2026-10-01", 1000, "confirmed")
    add_minutes(world.stu_xa, world.agr_xa, "2026-10-02", 440, "pending")
    frozen("2026-11-03 09:00")
    client = login(world.xa_staff)
    page = text(client.get("/compliance/close"))  # last month by default
    assert "2026-10" in page and "7.3" in page and "将不再计入" in page
    html = client.get("/compliance/close").get_data(as_text=True)
    # Who holds the hours: the enterprise to remind and the student, each with a link.
    assert f'href="/enterprises/{world.ent_xa.id}">西安爱心科技有限公司</a>' in html
    assert f'href="/compliance/students/{world.stu_xa.id}/2026-10">王小明</a>' in html
    assert "待确认 7.3 小时" in html
    resp = client.post("/compliance/close?month=2026-10&union=XA", data={"action": "close"})
    assert resp.status_code == 200 and "请勾选确认" in text(resp)
    resp = client.post(
        "/compliance/close?month=2026-10&union=XA", data={"action": "close", "close-confirm": "y"}
    )
    assert resp.status_code == 302
    assert db.session.scalars(select(MonthClose)).one().is_closed
    page = text(client.get("/compliance/close?month=2026-10&union=XA"))
    assert "已结算" in page and "重新开放该月" in page
    resp = client.post(
        "/compliance/close?month=2026-10&union=XA",
        data={"action": "reopen", "reopen-reason": "企业补充确认"},
    )
    assert resp.status_code == 302
    db.session.expire_all()
    assert not db.session.scalars(select(MonthClose)).one().is_closed
    assert "尚未结束" in text(client.get("/compliance/close?month=2026-11&union=XA"))
    assert client.get("/compliance/close?union=TC").status_code == 404


def test_student_progress_page(world, login, frozen, add_minutes):
    frozen("2026-11-16 10:00")
    add_minutes(world.stu_xa, world.agr_xa, "2026-11-01", 300, "confirmed")
    add_minutes(world.stu_xa, world.agr_xa, "2026-11-07", 120, "pending")
    client = login(world.stu_xa_user)
    resp = client.get("/me/progress")
    assert resp.status_code == 200
    page = text(resp)
    assert "本月进度" in page and "有风险" in page
    # (1440 − 420) minutes over 4 allowed days: 255 minutes a day.
    assert "还需 17.0 小时，剩余 4 个可服务日，平均每日 4.2 小时" in page
    assert "西安爱心科技有限公司" in page and "<svg" in page
    assert "2026 年 10 月" in text(client.get("/me/progress?month=2026-10"))
    assert login(world.xa_staff).get("/me/progress").status_code == 403


def test_enterprise_students_page(world, login, frozen):
    frozen("2026-11-16 10:00")
    client = login(world.ent_xa_staff)
    page = text(client.get("/enterprise/students"))
    assert "王小明" in page and "李小红" not in page and "有风险" in page
    assert login(world.xa_staff).get("/enterprise/students").status_code == 403


def test_calendar_page(world, login):
    page = text(login(world.stu_xa_user).get("/calendar?month=2026-10"))
    assert "国庆节" in page and "设置全省覆盖" not in page
    client = login(world.sx_staff)
    assert "设置全省覆盖" in text(client.get("/calendar?month=2026-10"))
    resp = client.post(
        "/calendar?month=2027-01", data={"day": "2027-01-01", "kind": "rest", "name": "元旦"}
    )
    assert resp.status_code == 302
    assert db.session.get(CalendarOverride, __import__("datetime").date(2027, 1, 1)).name == "元旦"
    page = text(client.get("/calendar?month=2027-01"))
    assert "元旦" in page and "覆盖" in page
    resp = client.post("/calendar/2027-01-01/remove", data={"reason": ""})
    assert resp.status_code == 302
    assert db.session.scalars(select(CalendarOverride)).first() is None
    xa = login(world.xa_staff)
    assert xa.post("/calendar", data={"day": "2027-01-01", "kind": "rest"}).status_code == 403


@pytest.mark.parametrize("path", ["/compliance", "/compliance/students", "/api/v1/compliance"])
def test_statement_count_does_not_grow_with_students(
    world, login, api, frozen, make_student, make_agreement, add_minutes, path
):
    frozen("2026-11-16 10:00")
    engine = db.engine

    def add_students(n):
        for i in range(n):
            student = make_student("XA" if i % 2 else "TC")
            agreement = make_agreement(student, world.ent_xa if i % 2 else world.ent_tc)
            add_minutes(student, agreement, "2026-11-01", 60 * (i % 30), "confirmed")
            if i % 3 == 0:
                add_minutes(student, agreement, "2026-11-07", 120, "pending")
            if i % 5 == 0:
                db.session.add(
                    Exemption(
                        student_id=student.id,
                        month="2026-11",
                        minutes=60,
                        reason="考试",
                        created_at=agreement.created_at,
                    )
                )
        db.session.commit()

    if path.startswith("/api"):
        client = api(world.sx_staff)
        get = lambda: client.get(path[len("/api/v1") :] + "?month=2026-11")  # noqa: E731
    else:
        client = login(world.sx_staff)
        get = lambda: client.get(path + "?month=2026-11")  # noqa: E731

    counts = []
    for n in (3, 35):  # 5 then 40 students in all
        add_students(n)
        db.session.expire_all()
        get()  # warm caches (calendar package, session user)
        with StatementCounter(engine) as counter:
            resp = get()
        assert resp.status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1], counts
    assert counts[0] < 40
