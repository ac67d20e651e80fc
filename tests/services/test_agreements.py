"""Agreements (R5, R6): defaults, overlap, capacity, paper agreements, signing, termination."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tests.conftest import _user_of
from volunteer import clock
from volunteer.agreements import changes, services
from volunteer.agreements.models import Agreement
from volunteer.agreements.rules import STATUSES
from volunteer.audit import AuditEntry
from volunteer.errors import Conflict, Forbidden, NotFound, ValidationError
from volunteer.extensions import db
from volunteer.periods.models import MonthClose

D = date.fromisoformat


def create(actor, student, enterprise, start, end, **kw):
    return services.create_agreement(
        actor,
        student_id=student.id,
        enterprise_id=enterprise.id,
        starts_on=D(start),
        ends_on=D(end),
        **kw,
    )


@pytest.fixture
def today(frozen):
    frozen("2026-11-28 09:00")
    return D("2026-11-28")


def test_defaults_by_kind(world, today, make_student):
    s = make_student("XA")
    vol = create(world.xa_staff, s, world.ent_xa, "2027-07-01", "2027-07-31")
    assert (vol.kind, vol.monthly_hours, vol.allow_workdays) == ("volunteer", 24, False)
    intern = create(world.xa_staff, s, world.ent_xa, "2027-08-01", "2027-08-31", kind="internship")
    assert (intern.kind, intern.monthly_hours, intern.allow_workdays) == ("internship", 0, True)
    custom = create(
        world.xa_staff,
        s,
        world.ent_tc,
        "2027-09-01",
        "2027-09-30",
        kind="internship",
        monthly_hours=40,
        allow_workdays=False,
    )
    assert (custom.monthly_hours, custom.allow_workdays) == (40, False)
    assert vol.to_dict(today)["status"] == "pending"


def test_end_before_start_is_400(world, today):
    with pytest.raises(ValidationError) as err:
        create(world.xa_staff, world.stu_xa, world.ent_xa, "2027-08-02", "2027-08-01")
    assert "ends_on" in err.value.fields


def test_same_day_agreement_allowed(world, today, make_student):
    a = create(world.xa_staff, make_student("XA"), world.ent_xa, "2027-08-01", "2027-08-01")
    assert a.starts_on == a.ends_on


def test_overlap_refused_adjacent_allowed(world, today):
    # agr_xa: 2026-09-01 .. 2027-06-30
    with pytest.raises(Conflict) as err:
        create(world.xa_staff, world.stu_xa, world.ent_tc, "2027-06-30", "2027-07-31")
    assert err.value.code == "agreement_overlap"
    with pytest.raises(Conflict):
        create(world.xa_staff, world.stu_xa, world.ent_xa, "2026-01-01", "2026-09-01")
    ok = create(world.xa_staff, world.stu_xa, world.ent_tc, "2027-07-01", "2027-07-31")
    assert ok.id


def test_terminated_agreement_frees_days_from_effective_date(world, today):
    changes.terminate_agreement(world.xa_staff, world.agr_xa.id, "学生转校", D("2026-12-01"))
    with pytest.raises(Conflict) as err:
        create(world.xa_staff, world.stu_xa, world.ent_tc, "2026-11-30", "2027-01-31")
    assert err.value.code == "agreement_overlap"
    ok = create(world.xa_staff, world.stu_xa, world.ent_tc, "2026-12-01", "2027-01-31")
    assert ok.enterprise_id == world.ent_tc.id


def test_capacity_counts_distinct_students_per_day(world, today, make_student, make_enterprise):
    ent = make_enterprise("XA", capacity=2)
    a, b, c = (make_student("XA") for _ in range(3))
    create(world.xa_staff, a, ent, "2027-01-01", "2027-03-31")  # pending counts
    create(world.xa_staff, b, ent, "2027-02-01", "2027-04-30", signed_on=today)
    with pytest.raises(Conflict) as err:
        create(world.xa_staff, c, ent, "2027-03-31", "2027-05-31")
    assert err.value.code == "capacity_full"
    # from April a's place is free again: only b holds one
    assert create(world.xa_staff, c, ent, "2027-04-01", "2027-05-31").id


def test_capacity_day_level_edge(world, today, make_student, make_enterprise):
    ent = make_enterprise("XA", capacity=1)
    a, b = make_student("XA"), make_student("XA")
    create(world.xa_staff, a, ent, "2027-01-01", "2027-01-15")
    # touching on the single day 2027-01-15 exceeds a capacity of 1
    with pytest.raises(Conflict) as err:
        create(world.xa_staff, b, ent, "2027-01-15", "2027-01-31")
    assert err.value.code == "capacity_full"
    with pytest.raises(Conflict):
        create(world.xa_staff, b, ent, "2026-12-01", "2027-01-01")
    assert create(world.xa_staff, b, ent, "2027-01-16", "2027-01-31").id
    assert create(world.xa_staff, make_student("XA"), ent, "2026-12-01", "2026-12-31").id


def test_terminated_agreement_holds_capacity_until_effective(
    world, today, make_student, make_enterprise
):
    ent = make_enterprise("XA", capacity=1)
    a, b = make_student("XA"), make_student("XA")
    first = create(world.xa_staff, a, ent, "2027-01-01", "2027-06-30")
    changes.terminate_agreement(world.xa_staff, first.id, "提前结束", D("2027-03-01"))
    with pytest.raises(Conflict):
        create(world.xa_staff, b, ent, "2027-02-28", "2027-04-30")
    assert create(world.xa_staff, b, ent, "2027-03-01", "2027-04-30").id


def test_capacity_zero_refuses(world, today, make_enterprise):
    ent = make_enterprise("XA", capacity=0)
    with pytest.raises(Conflict) as err:
        create(world.xa_staff, world.stu_xa, ent, "2027-07-01", "2027-07-31")
    assert err.value.code == "capacity_full"


def test_paper_agreement_status(world, today, make_student):
    s = make_student("XA")
    active = create(
        world.xa_staff, s, world.ent_xa, "2026-11-01", "2026-12-31", signed_on=D("2026-10-20")
    )
    assert active.to_dict(today)["status"] == "active"
    assert active.paper_signed_on == D("2026-10-20")
    later = create(world.xa_staff, s, world.ent_xa, "2027-01-01", "2027-01-31", signed_on=today)
    assert later.to_dict(today)["status"] == "scheduled"
    with pytest.raises(ValidationError) as err:
        create(
            world.xa_staff, s, world.ent_xa, "2027-02-01", "2027-02-28", signed_on=D("2026-11-29")
        )
    assert "signed_on" in err.value.fields


def test_create_scope(world, today):
    # a student outside the officer's subtree is not found; another city's enterprise is fine
    with pytest.raises(NotFound):
        create(world.tc_staff, world.stu_xa, world.ent_tc, "2027-07-01", "2027-07-31")
    cross = create(world.tc_staff, world.stu_tc, world.ent_xa, "2027-07-01", "2027-07-31")
    assert cross.enterprise_id == world.ent_xa.id
    with pytest.raises(Forbidden):
        create(world.ent_xa_staff, world.stu_xa, world.ent_xa, "2027-07-01", "2027-07-31")
    with pytest.raises(NotFound):
        services.create_agreement(
            world.xa_staff,
            student_id=world.stu_xa.id,
            enterprise_id=99999,
            starts_on=D("2027-07-01"),
            ends_on=D("2027-07-31"),
        )


def test_audit_carries_both_unions(world, today):
    a = create(world.tc_staff, world.stu_tc, world.ent_xa, "2027-07-01", "2027-07-31")
    entry = db.session.scalars(
        select(AuditEntry).where(
            AuditEntry.entity == "agreement", AuditEntry.entity_id == str(a.id)
        )
    ).one()
    assert (entry.union_path, entry.other_union_path) == ("/SX/TC/", "/SX/XA/")
    assert entry.after["status"] == "pending" and entry.actor_name == "tc_staff"


def test_signing_flow(world, today, make_student):
    s = make_student("XA", username="stu_sign")
    user = _user_of(s)
    a = create(world.xa_staff, s, world.ent_xa, "2026-11-01", "2027-01-31")
    a = services.sign_agreement(user, a.id)
    assert a.student_signed_at is not None and a.to_dict(today)["status"] == "pending"
    first = a.student_signed_at
    clock.advance(timedelta(minutes=5))
    a = services.sign_agreement(user, a.id)  # repeated tap: unchanged
    assert a.student_signed_at == first
    with pytest.raises(NotFound):
        services.sign_agreement(world.ent_tc_staff, a.id)
    with pytest.raises(NotFound):
        services.sign_agreement(world.stu_xa_user, a.id)
    with pytest.raises(Forbidden):
        services.sign_agreement(world.xa_staff, a.id)
    a = services.sign_agreement(world.ent_xa_staff, a.id)
    assert a.to_dict(today)["status"] == "active"
    actions = db.session.scalars(
        select(AuditEntry.action).where(
            AuditEntry.entity == "agreement", AuditEntry.entity_id == str(a.id)
        )
    ).all()
    assert actions == ["created", "signed", "signed"]


def test_sign_future_agreement_is_scheduled(world, today, make_student):
    s = make_student("XA")
    a = create(world.xa_staff, s, world.ent_xa, "2027-01-01", "2027-01-31")
    services.sign_agreement(world.ent_xa_staff, a.id)
    a = services.sign_agreement(_user_of(s), a.id)
    assert a.to_dict(today)["status"] == "scheduled"


def test_cannot_sign_terminated_or_expired(world, today, make_student):
    s = make_student("XA")
    a = create(world.xa_staff, s, world.ent_xa, "2026-11-01", "2027-01-31")
    changes.terminate_agreement(world.xa_staff, a.id, "取消", D("2026-11-01"))
    with pytest.raises(Conflict) as err:
        services.sign_agreement(world.ent_xa_staff, a.id)
    assert err.value.code == "invalid_state"
    old = create(world.xa_staff, s, world.ent_xa, "2026-02-01", "2026-03-31")
    with pytest.raises(Conflict):
        services.sign_agreement(world.ent_xa_staff, old.id)


def test_terminate(world, today):
    with pytest.raises(ValidationError) as err:
        changes.terminate_agreement(world.xa_staff, world.agr_xa.id, "  ", D("2026-12-01"))
    assert "reason" in err.value.fields
    for bad in ("2026-08-31", "2027-07-01"):
        with pytest.raises(ValidationError) as err:
            changes.terminate_agreement(world.xa_staff, world.agr_xa.id, "原因", D(bad))
        assert "effective_on" in err.value.fields
    a = changes.terminate_agreement(
        world.ent_xa_staff, world.agr_xa.id, "学生毕业", D("2026-12-15")
    )
    body = a.to_dict(today)
    assert body["status"] == "active"  # the termination takes effect later
    assert body["terminated_on"] == "2026-12-15" and body["termination_reason"] == "学生毕业"
    assert a.to_dict(D("2026-12-15"))["status"] == "terminated"
    assert a.to_dict(D("2026-12-14"))["status"] == "active"
    with pytest.raises(Conflict) as err:
        changes.terminate_agreement(world.xa_staff, a.id, "再次", D("2026-12-20"))
    assert err.value.code == "invalid_state"


def test_terminate_scope(world, today):
    with pytest.raises(NotFound):
        changes.terminate_agreement(world.tc_staff, world.agr_xa.id, "越权", D("2026-12-01"))
    with pytest.raises(NotFound):
        changes.terminate_agreement(world.ent_tc_staff, world.agr_xa.id, "越权", D("2026-12-01"))
    with pytest.raises(Forbidden):
        changes.terminate_agreement(world.stu_xa_user, world.agr_xa.id, "自己", D("2026-12-01"))


def test_backdated_termination_into_closed_month(world, today):
    db.session.add(MonthClose(union_code="XA", month="2026-10", closed_at=clock.now()))
    db.session.commit()
    with pytest.raises(Conflict) as err:
        changes.terminate_agreement(world.ent_xa_staff, world.agr_xa.id, "补录", D("2026-10-15"))
    assert err.value.code == "month_closed"
    assert db.session.get(Agreement, world.agr_xa.id).terminated_on is None
    # the termination's own reason is no override (R29), not even for the student's union
    with pytest.raises(Conflict) as err:
        changes.terminate_agreement(world.xa_staff, world.agr_xa.id, "补录", D("2026-10-15"))
    assert err.value.code == "month_closed"
    # another city's union cannot even see it: 404, never an override
    with pytest.raises(NotFound):
        changes.terminate_agreement(
            world.tc_staff, world.agr_xa.id, "补录", D("2026-10-15"), override_reason="越权"
        )
    assert db.session.get(Agreement, world.agr_xa.id).terminated_on is None
    a = changes.terminate_agreement(
        world.xa_staff,
        world.agr_xa.id,
        "补录：十月中旬已离开",
        D("2026-10-15"),
        override_reason="学生十月中旬已离开，经核实",
    )
    assert a.terminated_on == D("2026-10-15")
    # a backdated termination inside an open month needs no override
    b = changes.terminate_agreement(world.tc_staff, world.agr_tc.id, "补录", D("2026-11-02"))
    assert b.terminated_on == D("2026-11-02")


def test_list_status_filter_matches_derived_status(world, today, make_student, make_agreement):
    s = [make_student("XA") for _ in range(5)]
    make_agreement(s[0], world.ent_xa, "2027-01-01", "2027-01-31", signed=False)  # pending
    make_agreement(s[1], world.ent_xa, "2027-01-01", "2027-01-31")  # scheduled
    make_agreement(s[2], world.ent_xa, "2026-01-01", "2026-06-30")  # ended
    make_agreement(s[3], world.ent_xa, "2026-10-01", "2027-01-31", paper_signed_on=D("2026-09-30"))
    make_agreement(s[4], world.ent_xa, "2026-10-01", "2027-01-31", terminated_on=D("2026-11-15"))
    make_agreement(s[2], world.ent_xa, "2026-07-01", "2026-07-31", terminated_on=D("2026-12-01"),
                   signed=False)  # fmt: skip  # pending still: the termination is not yet effective
    everything = db.session.scalars(services.list_agreements(world.xa_staff)).all()
    assert len(everything) == 7
    seen = set()
    for status in STATUSES:
        got = db.session.scalars(services.list_agreements(world.xa_staff, status=status)).all()
        assert {a.id for a in got} == {a.id for a in everything if a.status_on(today) == status}
        seen |= {a.status_on(today) for a in got}
    assert seen == set(STATUSES)
    with pytest.raises(ValidationError):
        services.list_agreements(world.xa_staff, status="bogus")


def test_list_scope(world, today, make_agreement):
    cross = make_agreement(world.stu_tc, world.ent_xa, "2027-07-01", "2027-08-31")

    def ids(actor, **kw):
        return {a.id for a in db.session.scalars(services.list_agreements(actor, **kw))}

    assert ids(world.xa_staff) == {world.agr_xa.id, cross.id}
    assert ids(world.tc_staff) == {world.agr_tc.id, cross.id}
    assert ids(world.ent_xa_staff) == {world.agr_xa.id, cross.id}
    assert ids(world.stu_tc_user) == {world.agr_tc.id, cross.id}
    assert ids(world.stu_tc_user, enterprise_id=world.ent_tc.id) == {world.agr_tc.id}
    assert ids(world.xa_staff, student_id=world.stu_xa.id) == {world.agr_xa.id}
