"""R29: one guard in front of every write that can move a closed month's figures.

October 2026 is closed by 西安 (XA). Every write endpoint — API and page, every path to
the same write — is walked against it; each answer is 409 month_closed (the API) or a
refusal (the pages), and the stored figures (MonthFigure) are unchanged. Then the
override: only a non-empty `override_reason` from the student's union (the root union
for the calendar), audited.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from tests.report_support import add_session
from volunteer import clock
from volunteer.agreements.models import Agreement
from volunteer.audit import AuditEntry
from volunteer.calendar.models import CalendarOverride
from volunteer.checkin.models import Correction, ServiceSession
from volunteer.compliance.models import Exemption, MonthFigure
from volunteer.extensions import db

OCT = "2026-10"


def figures() -> list[tuple]:
    """Every stored figure of October, as plain values."""
    rows = db.session.scalars(
        select(MonthFigure).where(MonthFigure.month == OCT).order_by(MonthFigure.student_id)
    )
    return [
        (
            f.student_id,
            f.gross_minutes,
            f.required_minutes,
            f.confirmed_minutes,
            f.pending_minutes,
            f.exempt_minutes,
            f.status,
        )
        for f in rows
    ]


def state() -> tuple:
    """What a refused write must not have touched besides the figures."""
    db.session.expire_all()
    sessions = db.session.execute(
        select(
            ServiceSession.id,
            ServiceSession.status,
            ServiceSession.check_in_at,
            ServiceSession.check_out_at,
        ).order_by(ServiceSession.id)
    ).all()
    agreements = db.session.execute(
        select(
            Agreement.id,
            Agreement.ends_on,
            Agreement.terminated_on,
            Agreement.student_signed_at,
            Agreement.enterprise_signed_at,
        ).order_by(Agreement.id)
    ).all()
    exemptions = db.session.execute(select(Exemption.id, Exemption.revoked_at)).all()
    days = db.session.execute(select(CalendarOverride.day, CalendarOverride.kind)).all()
    corrections = db.session.execute(select(Correction.id, Correction.status)).all()
    return (
        figures(),
        sessions,
        agreements,
        sorted(exemptions),
        sorted(days),
        corrections,
    )


@pytest.fixture
def closed(world, api, frozen, make_student, make_agreement):
    """October with hours, an exemption, a calendar override, a correction request and
    agreements to sign, extend and create; then closed by XA."""
    w = world
    frozen("2026-10-10 08:00")
    w.s_ok = add_session(w.agr_xa, w.site_xa, "2026-10-17 09:00", 600)
    w.s_pending = add_session(w.agr_xa, w.site_xa, "2026-10-18 09:00", 120, status="pending")
    # 李四 has no agreement yet (a back-dated paper one would bring October a requirement);
    # 赵五's agreement waits for the student's signature; 孙六's ended in September.
    w.stu2 = make_student("XA", "李四")
    w.stu3 = make_student("XA", "赵五")
    w.agr3 = make_agreement(w.stu3, w.ent_xa, "2026-10-01", "2027-01-31", signed=False)
    w.agr3.enterprise_signed_at = clock.now()
    w.stu4 = make_student("XA", "孙六")
    w.agr4 = make_agreement(w.stu4, w.ent_xa, "2026-09-01", "2026-09-30")
    db.session.commit()
    from volunteer.auth.models import User

    w.stu3_user = db.session.scalars(select(User).where(User.student_id == w.stu3.id)).one()
    xa, sx = api(w.xa_staff), api(w.sx_staff)
    resp = xa.post(
        "/exemptions",
        json={"student_id": w.stu_xa.id, "month": OCT, "minutes": 60, "reason": "考试"},
    )
    assert resp.status_code == 201
    w.exemption_id = resp.get_json()["id"]
    assert sx.put("/calendar/2026-10-24", json={"kind": "work"}).status_code == 200
    frozen("2026-11-02 09:00")
    resp = api(w.stu_xa_user).post(
        f"/sessions/{w.s_ok.id}/corrections",
        json={"check_out_at": "2026-10-17T20:00:00+08:00", "note": "忘记签退"},
    )
    assert resp.status_code == 201
    w.correction_id = resp.get_json()["id"]
    assert xa.post(f"/unions/XA/months/{OCT}/close").status_code == 200
    w.before = state()
    assert len(w.before[0]) == 4  # the four XA students have stored figures
    return w


def api_writes(w) -> list[tuple]:
    """(actor, method, path, body) of every API write that would change October."""
    ent, union, root = w.ent_xa_staff, w.xa_staff, w.sx_staff
    oct_times = {
        "check_in_at": "2026-10-25T09:00:00+08:00",
        "check_out_at": "2026-10-25T11:00:00+08:00",
    }
    return [
        (
            ent,
            "post",
            "/sessions",
            {"student_id": w.stu_xa.id, "site_id": w.site_xa.id, **oct_times, "reason": "补录"},
        ),
        (ent, "post", f"/sessions/{w.s_pending.id}/confirm", None),
        (ent, "post", "/sessions/confirm", {"ids": [w.s_pending.id]}),
        (ent, "post", f"/sessions/{w.s_ok.id}/reject", {"reason": "核实未到岗"}),
        (
            ent,
            "post",
            f"/sessions/{w.s_ok.id}/adjust",
            {
                "check_in_at": "2026-10-17T09:00:00+08:00",
                "check_out_at": "2026-10-17T12:00:00+08:00",
                "reason": "更正",
            },
        ),
        (ent, "post", f"/corrections/{w.correction_id}/accept", {}),
        (union, "post", "/exemptions", {"student_id": w.stu_xa.id, "month": OCT, "reason": "病假"}),
        (union, "post", f"/exemptions/{w.exemption_id}/revoke", {"reason": "撤回"}),
        # a termination's own reason is no override (the failure found in the first month)
        (
            union,
            "post",
            f"/agreements/{w.agr_xa.id}/terminate",
            {"reason": "十月中旬离开", "effective_on": "2026-10-15"},
        ),
        (
            ent,
            "post",
            f"/agreements/{w.agr_xa.id}/terminate",
            {"reason": "十月中旬离开", "effective_on": "2026-10-15"},
        ),
        (union, "patch", f"/agreements/{w.agr_xa.id}", {"ends_on": "2026-10-20"}),
        (union, "patch", f"/agreements/{w.agr4.id}", {"ends_on": "2026-10-31"}),
        (
            union,
            "post",
            "/agreements",
            {
                "student_id": w.stu2.id,
                "enterprise_id": w.ent_xa.id,
                "starts_on": "2026-10-01",
                "ends_on": "2027-01-31",
                "signed_on": "2026-10-01",
            },
        ),
        (w.stu3_user, "post", f"/agreements/{w.agr3.id}/sign", None),
        (root, "put", "/calendar/2026-10-25", {"kind": "work", "reason": "省通知"}),
        (root, "delete", "/calendar/2026-10-24", None),
    ]


def test_every_api_write_refuses_a_closed_month(closed, api):
    w = closed
    for actor, method, path, body in api_writes(w):
        client = api(actor)
        resp = getattr(client, method)(path, json=body) if body is not None else None
        if resp is None:
            resp = getattr(client, method)(path)
        assert resp.status_code == 409, (actor.username, method, path, resp.get_json())
        assert resp.get_json()["error"]["code"] == "month_closed", (method, path)
        assert state() == w.before, (method, path)
    assert not db.session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "lock_overridden")
    )


def page_writes(w) -> list[tuple]:
    """(actor, path, form) of every page write that would change October."""
    ent, union, root = w.ent_xa_staff, w.xa_staff, w.sx_staff
    return [
        (ent, f"/checkin/sessions/{w.s_pending.id}/confirm", {}),
        (ent, "/checkin/enterprise/sessions/confirm", {"ids": [str(w.s_pending.id)]}),
        (ent, f"/checkin/sessions/{w.s_ok.id}/reject", {"reason": "核实未到岗"}),
        (
            ent,
            f"/checkin/sessions/{w.s_ok.id}/adjust",
            {"check_in_at": "2026-10-17T09:00", "check_out_at": "2026-10-17T12:00", "reason": "x"},
        ),
        (
            ent,
            "/checkin/enterprise/sessions/new",
            {
                "student_id": str(w.stu_xa.id),
                "site_id": str(w.site_xa.id),
                "check_in_at": "2026-10-25T09:00",
                "check_out_at": "2026-10-25T11:00",
                "reason": "补录",
            },
        ),
        (ent, f"/checkin/corrections/{w.correction_id}/accept", {}),
        (
            ent,
            f"/agreements/{w.agr_xa.id}/terminate",
            {"effective_on": "2026-10-15", "reason": "离开"},
        ),
        (
            union,
            f"/agreements/{w.agr_xa.id}/terminate",
            {"effective_on": "2026-10-15", "reason": "离开"},
        ),
        (union, f"/agreements/{w.agr_xa.id}/ends-on", {"ends_on": "2026-10-20"}),
        (
            union,
            "/compliance/exemptions/new",
            {"student_id": str(w.stu_xa.id), "month": OCT, "whole": "y", "reason": "病假"},
        ),
        (union, f"/compliance/exemptions/{w.exemption_id}/revoke", {"reason": "撤回"}),
        (root, "/calendar", {"day": "2026-10-25", "kind": "work"}),
        (root, "/calendar/2026-10-24/remove", {}),
    ]


def test_every_page_write_refuses_a_closed_month(closed, login):
    w = closed
    for actor, path, form in page_writes(w):
        resp = login(actor).post(path, data=form)
        assert resp.status_code in (200, 302, 400, 409), (path, resp.status_code)
        assert state() == w.before, path


def test_the_students_union_overrides_with_a_reason_audited(closed, api):
    """Terminate back into October: the figures move (met → a smaller requirement)."""
    w = closed
    xa = api(w.xa_staff)
    path = f"/agreements/{w.agr_xa.id}/terminate"
    body = {"reason": "十月中旬离开", "effective_on": "2026-10-15"}
    # blank is no override
    resp = xa.post(path, json={**body, "override_reason": "  "})
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "month_closed"
    # the enterprise may never override
    resp = api(w.ent_xa_staff).post(path, json={**body, "override_reason": "企业想改"})
    assert resp.status_code == 403
    assert state() == w.before
    resp = xa.post(path, json={**body, "override_reason": "学生十月中旬转学，已核实"})
    assert resp.status_code == 200, resp.get_json()
    after = dict((f[0], f) for f in figures())
    old = dict((f[0], f) for f in w.before[0])
    assert after[w.stu_xa.id][1] < old[w.stu_xa.id][1]  # gross requirement shrank
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "lock_overridden")
    ).one()
    assert entry.after["override_reason"] == "学生十月中旬转学，已核实"
    assert entry.after["months"] == [OCT] and entry.union_path == "/SX/XA/"
    terminated = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "terminated")
    ).one()
    assert terminated.after["override_reason"] == "学生十月中旬转学，已核实"


def test_extending_and_shortening_an_agreement(closed, api):
    w = closed
    xa = api(w.xa_staff)
    # into the future: nothing closed is reached
    resp = xa.patch(f"/agreements/{w.agr_xa.id}", json={"ends_on": "2027-07-31"})
    assert resp.status_code == 200 and resp.get_json()["ends_on"] == "2027-07-31"
    resp = xa.patch(f"/agreements/{w.agr_xa.id}", json={"ends_on": "2026-12-31"})
    assert resp.status_code == 200
    assert state()[0] == w.before[0]
    # R6 still applies: 孙六 cannot be extended over another agreement of his
    resp = xa.patch(f"/agreements/{w.agr4.id}", json={"ends_on": "2026-08-01"})
    assert resp.status_code == 400
    resp = xa.patch(
        f"/agreements/{w.agr4.id}",
        json={"ends_on": "2026-10-31", "override_reason": "补签的十月协议"},
    )
    assert resp.status_code == 200
    row = dict((f[0], f) for f in figures())[w.stu4.id]
    assert row[1] == 24 * 60  # October now requires 24 hours of 孙六
    assert (
        api(w.ent_xa_staff)
        .patch(f"/agreements/{w.agr4.id}", json={"ends_on": "2026-12-31"})
        .status_code
        == 403
    )


def test_another_citys_union_cannot_override(closed, api, make_agreement, frozen):
    """铜川 (TC) sees an agreement of a XA student at its enterprise, but the lock is not
    its to lift: 403 with an override, 409 without; the XA session is not even visible."""
    w = closed
    frozen("2026-10-10 08:00")
    cross = make_agreement(w.stu2, w.ent_tc, "2026-11-01", "2027-06-30")
    frozen("2026-11-02 10:00")
    tc = api(w.tc_staff)
    body = {"reason": "越权", "effective_on": "2026-11-01"}
    # November is open: TC may terminate its enterprise's agreement
    path = f"/agreements/{cross.id}/terminate"
    assert tc.post(path, json={**body, "effective_on": "2026-11-20"}).status_code == 200
    resp = tc.post(
        f"/agreements/{w.agr_xa.id}/terminate",
        json={"reason": "越权", "effective_on": "2026-10-15", "override_reason": "越权"},
    )
    assert resp.status_code == 404
    resp = tc.post(
        f"/sessions/{w.s_ok.id}/adjust",
        json={
            "check_in_at": "2026-10-17T09:00:00+08:00",
            "check_out_at": "2026-10-17T10:00:00+08:00",
            "reason": "越权",
        },
    )
    assert resp.status_code == 404
    resp = tc.put("/calendar/2026-10-25", json={"kind": "work", "override_reason": "越权"})
    assert resp.status_code == 403  # only the root union touches the calendar
    assert state()[0] == w.before[0]


def test_cross_city_session_after_close(world, api, frozen, make_student, make_agreement):
    """A XA student serving at TC's enterprise: after XA closes October, TC staff and the
    TC enterprise are refused (403 / 409); XA's staff decide with a reason."""
    w = world
    frozen("2026-10-10 08:00")
    agr = make_agreement(w.stu_xa, w.ent_tc, "2026-10-01", "2026-10-31")
    w.agr_xa.starts_on = date(2026, 11, 1)
    db.session.commit()
    s = add_session(agr, w.site_tc, "2026-10-17 09:00", 180, status="pending")
    frozen("2026-11-02 09:00")
    assert api(w.xa_staff).post(f"/unions/XA/months/{OCT}/close").status_code == 200
    before = figures()
    assert api(w.ent_tc_staff).post(f"/sessions/{s.id}/confirm").status_code == 409
    resp = api(w.tc_staff).post(f"/sessions/{s.id}/confirm", json={"reason": "越权"})
    assert resp.status_code == 403
    resp = api(w.tc_staff).post(f"/sessions/{s.id}/reject", json={"reason": "越权"})
    assert resp.status_code == 403
    assert figures() == before
    resp = api(w.xa_staff).post(f"/sessions/{s.id}/confirm", json={})
    assert resp.status_code == 400  # the union's reason is required: it is the override
    resp = api(w.xa_staff).post(f"/sessions/{s.id}/confirm", json={"reason": "企业电话确认"})
    assert resp.status_code == 200 and resp.get_json()["status"] == "confirmed"
    assert figures() != before  # the stored figures follow the authorised change


def test_backdated_termination_keeps_a_missed_month_missed(closed, api):
    """The first month's failure: a termination back into a closed month (its reason
    taken for an override) turned a stored `missed` into `met`."""
    w = closed
    student = dict((f[0], f) for f in figures())[w.stu_xa.id]
    assert student[-1] == "missed"
    body = {"reason": "十月中旬离开", "effective_on": "2026-10-15"}
    for actor in (w.xa_staff, w.ent_xa_staff):
        resp = api(actor).post(f"/agreements/{w.agr_xa.id}/terminate", json=body)
        assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "month_closed"
    assert dict((f[0], f) for f in figures())[w.stu_xa.id][-1] == "missed"
    assert db.session.get(Agreement, w.agr_xa.id).terminated_on is None


def test_agreement_page_changes_the_end_with_an_override(closed, login):
    w = closed
    client = login(w.xa_staff)
    page = client.get(f"/agreements/{w.agr4.id}").get_data(as_text=True)
    assert "修改结束日期" in page and 'name="override_reason"' in page
    resp = client.post(f"/agreements/{w.agr4.id}/ends-on", data={"ends_on": "2026-10-31"})
    assert resp.status_code == 409 and "已结算" in resp.get_data(as_text=True)
    assert state() == w.before
    resp = client.post(
        f"/agreements/{w.agr4.id}/ends-on",
        data={"ends_on": "2026-10-31", "override_reason": "补签的十月协议"},
    )
    assert resp.status_code == 302
    assert db.session.get(Agreement, w.agr4.id).ends_on == date(2026, 10, 31)
    # the enterprise sees no such form and may not post it
    assert "修改结束日期" not in login(w.ent_xa_staff).get(f"/agreements/{w.agr4.id}").get_data(
        as_text=True
    )


def test_the_students_union_confirms_from_the_session_page(closed, login):
    w = closed
    client = login(w.xa_staff)
    page = client.get(f"/checkin/sessions/{w.s_pending.id}").get_data(as_text=True)
    assert "工会确认此记录" in page
    client.post(f"/checkin/sessions/{w.s_pending.id}/confirm", data={"reason": ""})
    assert state() == w.before  # no reason, no override
    resp = client.post(
        f"/checkin/sessions/{w.s_pending.id}/confirm", data={"reason": "企业电话确认"}
    )
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(ServiceSession, w.s_pending.id).status == "confirmed"
    row = dict((f[0], f) for f in figures())[w.stu_xa.id]
    assert row[3] == 600 + 120  # confirmed minutes of the closed month follow
    # another city's union: 404 (the session is not in its scope)
    other = login(w.tc_staff).post(f"/checkin/sessions/{w.s_ok.id}/confirm", data={"reason": "x"})
    assert other.status_code == 404
