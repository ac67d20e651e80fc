"""Enterprise monthly reports and attestations (R23) on a real database."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.report_support import add_session, set_minutes
from volunteer.audit import AuditEntry
from volunteer.errors import Conflict, NotFound, ValidationError
from volunteer.extensions import db
from volunteer.reports import services


@pytest.fixture
def november(world, frozen):
    """Sessions of 王小明 at 西安爱心科技 in November 2026; the clock in December."""
    frozen("2026-11-10 09:00")
    w = world
    w.s1 = add_session(w.agr_xa, w.site_xa, "2026-11-07 09:00", 240)
    w.s2 = add_session(w.agr_xa, w.site_xa, "2026-11-08 09:00", 300, flags="location_outside")
    w.s3 = add_session(w.agr_xa, w.site_xa, "2026-11-14 09:00", 90, status="pending")
    w.s4 = add_session(
        w.agr_xa, w.site_xa, "2026-11-15 09:00", 60, status="rejected", flags="poster"
    )
    w.s5 = add_session(w.agr_xa, w.site_xa, "2026-10-10 09:00", 120)  # another month
    frozen("2026-12-03 10:00")
    return w


def settle(w) -> None:
    """Confirm the fixture's pending session, so that the month can be attested."""
    set_minutes(w.s3, 90, "confirmed")
    db.session.commit()


def test_report_row_has_minutes_at_the_enterprise(november):
    w = november
    report = services.build_enterprise_report(w.ent_xa_staff, w.ent_xa.id, "2026-11")
    assert [r.student_name for r in report.rows] == ["王小明"]
    row = report.rows[0]
    assert (row.sessions, row.confirmed_minutes, row.pending_minutes) == (3, 540, 90)
    assert row.required_minutes == 24 * 60
    # The month is over and confirmed + pending fall short: R19 says missed.
    assert row.status == "missed"
    assert row.flags == ["location_outside"]  # the rejected session's flag is not shown
    assert row.agreement_label == "志愿服务 2026-09-01至2027-06-30"
    assert report.total_confirmed_minutes == 540
    assert report.union_name == "西安市总工会"
    assert not report.is_attested


def test_month_without_sessions_still_lists_placed_students(november):
    w = november
    report = services.build_enterprise_report(w.ent_xa_staff, w.ent_xa.id, "2026-09")
    assert len(report.rows) == 1 and report.rows[0].confirmed_minutes == 0
    assert services.build_enterprise_report(w.ent_xa_staff, w.ent_xa.id, "2026-08").rows == []


def test_met_status_and_other_enterprise_hours_excluded(
    world, frozen, make_agreement, make_student
):
    w = world
    frozen("2026-11-10 09:00")
    add_session(w.agr_xa, w.site_xa, "2026-11-07 08:00", 24 * 60)
    other = make_student("XA", "赵六")
    agr = make_agreement(other, w.ent_tc)
    add_session(agr, w.site_tc, "2026-11-07 08:00", 100)
    frozen("2026-12-01 08:00")
    report = services.build_enterprise_report(w.ent_xa_staff, w.ent_xa.id, "2026-11")
    assert [(r.student_name, r.status) for r in report.rows] == [("王小明", "met")]


def test_scope_of_reports(november, make_student, make_agreement):
    w = november
    with pytest.raises(NotFound):
        services.build_enterprise_report(w.ent_tc_staff, w.ent_xa.id, "2026-11")
    with pytest.raises(NotFound):
        services.build_enterprise_report(w.tc_staff, w.ent_xa.id, "2026-11")
    # The province sees every report in its subtree; XA its own enterprise.
    assert services.build_enterprise_report(w.sx_staff, w.ent_xa.id, "2026-11").rows
    assert services.build_enterprise_report(w.xa_staff, w.ent_xa.id, "2026-11").rows
    # A TC student placed at the XA enterprise: TC may read the report, its student only.
    tc_student = make_student("TC", "钱七")
    make_agreement(tc_student, w.ent_xa)
    names = [
        r.student_name
        for r in services.build_enterprise_report(w.tc_staff, w.ent_xa.id, "2026-11").rows
    ]
    assert names == ["钱七"]
    every = services.build_enterprise_report(w.xa_staff, w.ent_xa.id, "2026-11").rows
    assert sorted(r.student_name for r in every) == ["王小明", "钱七"]


@pytest.mark.parametrize("month", ["2026-13", "abc", "2026-1", "", "2027-01"])
def test_bad_or_future_month_is_400(november, month):
    with pytest.raises(ValidationError) as exc:
        services.build_enterprise_report(november.ent_xa_staff, november.ent_xa.id, month)
    assert "month" in exc.value.fields


def test_attest_only_after_the_month(november, frozen):
    w = november
    frozen("2026-11-30 23:59")
    with pytest.raises(Conflict) as exc:
        services.attest_month(w.ent_xa_staff, w.ent_xa.id, "2026-11")
    assert exc.value.code == "month_not_over"
    with pytest.raises(Conflict):
        services.attest_month(w.ent_xa_staff, w.ent_xa.id, "2027-02")
    frozen("2026-12-01 00:00")
    # R30: the pending session must be settled first; the refusal names it
    with pytest.raises(Conflict) as exc:
        services.attest_month(w.ent_xa_staff, w.ent_xa.id, "2026-11")
    assert exc.value.code == "unresolved_sessions"
    assert exc.value.to_dict()["error"]["sessions"] == [w.s3.id]
    settle(w)
    attestation, created = services.attest_month(w.ent_xa_staff, w.ent_xa.id, "2026-11")
    assert created and attestation.signer_name == w.ent_xa_staff.name
    again, created_again = services.attest_month(w.ent_xa_staff, w.ent_xa.id, "2026-11")
    assert not created_again and again.id == attestation.id
    report = services.build_enterprise_report(w.xa_staff, w.ent_xa.id, "2026-11")
    assert report.is_attested and report.attested_by == w.ent_xa_staff.name
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "attested")).all()
    assert len(entries) == 1 and entries[0].entity == "attestation"
    assert entries[0].union_path == "/SX/XA/"


def test_attestation_locks_the_enterprise_month(november):
    from volunteer.periods.guard import ensure_changeable

    w = november

    def check(enterprise, months):
        return ensure_changeable(w.ent_xa_staff, w.stu_xa.id, months, enterprise_id=enterprise.id)

    check(w.ent_xa, ["2026-11"])
    settle(w)
    services.attest_month(w.ent_xa_staff, w.ent_xa.id, "2026-11")
    with pytest.raises(Conflict):
        check(w.ent_xa, ["2026-11"])
    check(w.ent_xa, ["2026-10"])  # other months stay open
    check(w.ent_tc, ["2026-11"])  # and other enterprises
    # the student's union is not bound by the enterprise's signature
    found = ensure_changeable(w.xa_staff, w.stu_xa.id, ["2026-11"], enterprise_id=w.ent_xa.id)
    assert found.attested == {"2026-11"} and not found.overriding


def test_attest_refused_to_other_roles_and_enterprises(november):
    from volunteer.errors import Forbidden

    w = november
    with pytest.raises(Forbidden):
        services.attest_month(w.xa_staff, w.ent_xa.id, "2026-11")
    with pytest.raises(NotFound):
        services.attest_month(w.ent_tc_staff, w.ent_xa.id, "2026-11")


def test_download_is_audited(november):
    w = november
    download = services.download_enterprise_report(w.xa_staff, w.ent_xa.id, "2026-11", "csv")
    assert download.filename == "西安爱心科技有限公司-2026-11-服务时长月报.csv"
    assert download.ascii_filename == f"enterprise-{w.ent_xa.id}-2026-11.csv"
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "downloaded")).one()
    assert entry.entity == "report" and entry.entity_id == f"enterprise:{w.ent_xa.id}:2026-11"
    assert entry.after["format"] == "csv" and entry.actor_id == w.xa_staff.id
    assert entry.union_path == "/SX/XA/" and entry.other_union_path == "/SX/XA/"


def test_stale_open_session_shows_auto_closed(world, frozen):
    from volunteer.checkin.models import ServiceSession
    from volunteer.extensions import db as _db

    w = world
    at = frozen("2026-11-07 09:00")
    _db.session.add(
        ServiceSession(
            student_id=w.stu_xa.id,
            enterprise_id=w.ent_xa.id,
            site_id=w.site_xa.id,
            agreement_id=w.agr_xa.id,
            check_in_at=at,
            status="open",
            flags="",
            minutes=0,
            created_at=at,
            updated_at=at,
        )
    )
    _db.session.commit()
    frozen("2026-11-08 09:00")  # 24 hours later: past the 12-hour cap
    row = services.build_enterprise_report(w.ent_xa_staff, w.ent_xa.id, "2026-11").rows[0]
    assert row.flags == ["auto_closed"] and row.confirmed_minutes == 0


def test_attested_month_refuses_the_enterprise_confirmation(november, app):
    """Through the real check-in service: after 签字确认, confirming is refused."""
    from volunteer.checkin import services as checkin

    w = november
    settle(w)
    services.attest_month(w.ent_xa_staff, w.ent_xa.id, "2026-11")
    with app.test_request_context(), pytest.raises(Conflict) as exc:
        checkin.reject_session(w.ent_xa_staff, w.s1.id, "签字后想改")
    assert exc.value.code == "month_closed"
