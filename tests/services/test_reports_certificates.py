"""Certificates (R25): issuing, hours, kinds, fingerprints, superseding, verification."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.report_support import add_session, set_minutes
from volunteer import events
from volunteer.audit import AuditEntry
from volunteer.errors import Conflict, Forbidden, NotFound, ValidationError
from volunteer.extensions import db
from volunteer.reports import services
from volunteer.reports.models import Certificate
from volunteer.reports.rules import hours_fingerprint


@pytest.fixture
def served(world, frozen):
    """王小明 served in October and November 2026 at 西安爱心科技; now December."""
    frozen("2026-10-01 08:00")
    w = world
    w.oct1 = add_session(w.agr_xa, w.site_xa, "2026-10-10 09:00", 600)
    w.nov1 = add_session(w.agr_xa, w.site_xa, "2026-11-07 09:00", 500)
    w.nov2 = add_session(w.agr_xa, w.site_xa, "2026-11-08 09:00", 100, status="pending")
    frozen("2026-12-05 10:00")
    return w


def test_issue_counts_confirmed_minutes_only(served):
    w = served
    cert = services.issue_certificate(w.stu_xa_user, w.stu_xa.id, "2026-10", "2026-11")
    assert (cert.kind, cert.minutes, cert.from_month, cert.to_month) == (
        "volunteer",
        1100,
        "2026-10",
        "2026-11",
    )
    assert cert.union_code == "XA" and len(cert.code) >= 20
    assert cert.fingerprint == hours_fingerprint(
        [(w.oct1.id, "2026-10", 600), (w.nov1.id, "2026-11", 500)]
    )
    data = services.certificate_to_dict(cert)
    assert data["hours"] == 18.3 and data["status"] == "genuine"
    assert data["verify_url"] == f"http://localhost/verify/{cert.code}"
    [entry] = cert.entries
    assert entry["enterprise_name"] == "西安爱心科技有限公司"
    assert entry["site_names"] == ["高新区服务点"]
    assert (entry["first_day"], entry["last_day"], entry["minutes"]) == (
        "2026-10-10",
        "2026-11-07",
        1100,
    )
    audit = db.session.scalars(select(AuditEntry).where(AuditEntry.entity == "certificate")).one()
    assert audit.action == "issued" and audit.after["minutes"] == 1100


def test_codes_are_unique_and_unguessable(served):
    w = served
    codes = {
        services.issue_certificate(w.xa_staff, w.stu_xa.id, "2026-10", "2026-10").code
        for _ in range(5)
    }
    assert len(codes) == 5 and all(len(c) >= 20 for c in codes)


def test_one_month_period(served):
    w = served
    cert = services.issue_certificate(w.stu_xa_user, w.stu_xa.id, "2026-11", "2026-11")
    assert cert.minutes == 500


@pytest.mark.parametrize(
    ("from_month", "to_month", "field"),
    [
        ("2026-11", "2026-10", "to_month"),  # reversed
        ("2026-10", "2027-01", "to_month"),  # future
        ("2024-09", "2026-11", "to_month"),  # 27 months
        ("2026/10", "2026-11", "from_month"),
        ("2026-10", "", "to_month"),
        (202610, "2026-11", "from_month"),
    ],
)
def test_bad_periods_are_400(served, from_month, to_month, field):
    with pytest.raises(ValidationError) as exc:
        services.issue_certificate(served.stu_xa_user, served.stu_xa.id, from_month, to_month)
    assert field in exc.value.fields


def test_exactly_24_months_is_allowed(served):
    w = served
    cert = services.issue_certificate(w.stu_xa_user, w.stu_xa.id, "2024-12", "2026-11")
    assert cert.minutes == 1100


def test_no_confirmed_hours_is_409(served):
    w = served
    with pytest.raises(Conflict) as exc:
        services.issue_certificate(w.stu_xa_user, w.stu_xa.id, "2026-09", "2026-09")
    assert exc.value.code == "invalid_state"
    with pytest.raises(Conflict):
        services.issue_certificate(w.stu_xa_user, w.stu_xa.id, "2026-10", "2026-11", "internship")


def test_internship_hours_are_certified_apart(served, make_agreement, make_site):
    w = served
    # An internship at another enterprise in the summer before the volunteering.
    intern = make_agreement(w.stu_xa, w.ent_tc, "2026-07-01", "2026-08-31", kind="internship")
    add_session(intern, w.site_tc, "2026-07-06 09:00", 480)
    volunteer = services.issue_certificate(w.stu_xa_user, w.stu_xa.id, "2026-07", "2026-11")
    assert (volunteer.kind, volunteer.minutes) == ("volunteer", 1100)
    internship = services.issue_certificate(
        w.stu_xa_user, w.stu_xa.id, "2026-07", "2026-11", "internship"
    )
    assert (internship.kind, internship.minutes) == ("internship", 480)
    assert internship.entries[0]["service_content"].endswith("岗位实习")
    # With only internship hours in the period, the internship certificate is the default.
    only = services.issue_certificate(w.stu_xa_user, w.stu_xa.id, "2026-07", "2026-08")
    assert only.kind == "internship"
    with pytest.raises(ValidationError):
        services.issue_certificate(w.stu_xa_user, w.stu_xa.id, "2026-07", "2026-08", "paid")


def test_scope_of_issuing(served):
    w = served
    with pytest.raises(NotFound):
        services.issue_certificate(w.stu_tc_user, w.stu_xa.id, "2026-10", "2026-11")
    with pytest.raises(NotFound):
        services.issue_certificate(w.tc_staff, w.stu_xa.id, "2026-10", "2026-11")
    with pytest.raises(Forbidden):
        services.issue_certificate(w.ent_xa_staff, w.stu_xa.id, "2026-10", "2026-11")
    assert services.issue_certificate(w.sx_staff, w.stu_xa.id, "2026-10", "2026-11").id


def test_an_hours_changed_event_supersedes(served):
    w = served
    cert = services.issue_certificate(w.stu_xa_user, w.stu_xa.id, "2026-10", "2026-11")
    other = services.issue_certificate(w.stu_xa_user, w.stu_xa.id, "2026-10", "2026-10")
    set_minutes(w.nov1, 450)  # the enterprise adjusted the November session
    events.hours_changed.send(w.stu_xa.id, months={"2026-11"})
    db.session.commit()
    db.session.refresh(cert)
    assert cert.superseded_at is not None and cert.superseded_reason
    assert services.verify_certificate(cert.code)["status"] == "superseded"
    # A certificate not covering November stays genuine.
    assert services.verify_certificate(other.code)["status"] == "genuine"


def test_change_that_leaves_confirmed_hours_alone_does_not_supersede(served):
    w = served
    cert = services.issue_certificate(w.stu_xa_user, w.stu_xa.id, "2026-10", "2026-11")
    set_minutes(w.nov2, 0, status="rejected")  # the pending session was rejected
    events.hours_changed.send(w.stu_xa.id, months={"2026-11"})
    db.session.commit()
    assert services.verify_certificate(cert.code)["status"] == "genuine"


def test_verify_notices_changes_made_any_other_way(served):
    w = served
    cert = services.issue_certificate(w.stu_xa_user, w.stu_xa.id, "2026-10", "2026-11")
    set_minutes(w.nov2, 100, status="confirmed")  # confirmed without an hours_changed event
    db.session.commit()
    facts = services.verify_certificate(cert.code)
    assert facts["status"] == "superseded" and facts["superseded_on"] == "2026-12-05"
    # Stored, so that it stays superseded even if the hours change back.
    set_minutes(w.nov2, 100, status="pending")
    db.session.commit()
    assert services.verify_certificate(cert.code)["status"] == "superseded"
    listed = services.list_certificates(w.stu_xa_user, w.stu_xa.id)
    assert [services.status_of(c) for c in listed] == ["superseded"]


def test_verify_facts_and_unknown_codes(served):
    w = served
    cert = services.issue_certificate(w.stu_xa_user, w.stu_xa.id, "2026-10", "2026-11")
    facts = services.verify_certificate(cert.code)
    assert facts == {
        "status": "genuine",
        "student_name_masked": "王*明",
        "from_month": "2026-10",
        "to_month": "2026-11",
        "hours": 18.3,
        "issued_on": "2026-12-05",
        "kind": "volunteer",
        "issuer": "西安市总工会",
        "issuer_name": "西安市总工会",
        "number": cert.number,
        "volunteer_number": None,
        "superseded_on": None,
    }
    for code in ("x" * 22, "", "../../etc", cert.code + "x", "a" * 500):
        with pytest.raises(NotFound):
            services.verify_certificate(code)


def test_download_renders_pdf_and_audits(served):
    w = served
    cert = services.issue_certificate(w.stu_xa_user, w.stu_xa.id, "2026-10", "2026-11")
    download = services.download_certificate(w.xa_staff, cert.id)
    assert download.data.startswith(b"%PDF") and download.fmt == "pdf"
    assert download.filename == "志愿服务记录证明-王小明-2026-10至2026-11.pdf"
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "downloaded")).one()
    assert (entry.entity, entry.entity_id) == ("certificate", str(cert.id))
    with pytest.raises(NotFound):
        services.download_certificate(w.stu_tc_user, cert.id)
    with pytest.raises(NotFound):
        services.download_certificate(w.tc_staff, cert.id)
    with pytest.raises(Forbidden):
        services.download_certificate(w.ent_xa_staff, cert.id)


def test_union_search_lists_only_its_students(served):
    w = served
    services.issue_certificate(w.stu_xa_user, w.stu_xa.id, "2026-10", "2026-11")
    assert len(services.search_certificates(w.xa_staff)) == 1
    assert len(services.search_certificates(w.xa_staff, "小明")) == 1
    assert services.search_certificates(w.xa_staff, "李") == []
    assert services.search_certificates(w.tc_staff) == []
    assert [s.name for s in services.students_named(w.sx_staff, "王")] == ["王小明"]
    assert services.students_named(w.tc_staff, "王") == []


def test_demo_seed_issues_one_certificate(served):
    from volunteer.reports import demo

    demo.seed()
    certs = db.session.scalars(select(Certificate)).all()
    assert len(certs) == 1 and certs[0].minutes == 1100
    assert (certs[0].from_month, certs[0].to_month) == ("2026-10", "2026-11")


def test_adjustment_by_the_enterprise_supersedes(served, app):
    """Through the real check-in service: an adjusted session supersedes the certificate."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from volunteer.checkin import services as checkin

    w = served
    cert = services.issue_certificate(w.stu_xa_user, w.stu_xa.id, "2026-10", "2026-11")
    tz = ZoneInfo("Asia/Shanghai")
    with app.test_request_context():
        checkin.adjust_session(
            w.ent_xa_staff,
            w.nov1.id,
            datetime(2026, 11, 7, 9, tzinfo=tz),
            datetime(2026, 11, 7, 16, tzinfo=tz),
            "实际服务到16点",
        )
    db.session.refresh(cert)
    assert cert.superseded_at is not None  # marked in the same transaction
    assert services.verify_certificate(cert.code)["status"] == "superseded"
    fresh = services.issue_certificate(w.stu_xa_user, w.stu_xa.id, "2026-10", "2026-11")
    assert fresh.minutes == 600 + 420
    assert services.verify_certificate(fresh.code)["status"] == "genuine"


def test_the_student_is_told_once_when_a_certificate_is_superseded(served):
    from sqlalchemy import select

    from volunteer.notifications.models import Notification

    w = served
    cert = services.issue_certificate(w.stu_xa_user, w.stu_xa.id, "2026-10", "2026-11")
    set_minutes(w.nov1, 450)
    events.hours_changed.send(w.stu_xa.id, months={"2026-11"})
    db.session.commit()
    services.verify_certificate(cert.code)  # already superseded: nothing new
    [note] = db.session.scalars(
        select(Notification).where(Notification.kind == "certificate_superseded")
    ).all()
    assert note.user_id == w.stu_xa_user.id
    assert note.data == {"certificate_id": cert.id, "from_month": "2026-10", "to_month": "2026-11"}
    assert note.link == "/certificates"
