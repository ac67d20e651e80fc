"""Month close (R21): stored figures, the lock, authorised overrides, reopening."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from volunteer import events
from volunteer.audit import AuditEntry
from volunteer.calendar import services as calendar_services
from volunteer.compliance import services
from volunteer.compliance.models import MonthFigure
from volunteer.errors import Conflict, Forbidden, NotFound, ValidationError
from volunteer.extensions import db
from volunteer.periods import guard
from volunteer.periods.models import MonthClose
from volunteer.students.models import Student

from .compliance_support import add_minutes_fixture  # noqa: F401

OCT = "2026-10"


def row_of(student, month=OCT):
    ids = select(Student.id).where(Student.id == student.id)
    return services.compute_month_rows(month, ids)[0]


def figure(student, month=OCT):
    return db.session.scalar(
        select(MonthFigure).where(MonthFigure.student_id == student.id, MonthFigure.month == month)
    )


@pytest.fixture
def october(world, add_minutes, frozen):
    """XA's student has 1000 confirmed + 440 pending minutes in October; TC's has 1440."""
    frozen("2026-10-20 10:00")
    add_minutes(world.stu_xa, world.agr_xa, "2026-10-01", 1000, "confirmed")
    add_minutes(world.stu_xa, world.agr_xa, "2026-10-02", 440, "pending")
    add_minutes(world.stu_tc, world.agr_tc, "2026-10-01", 1440, "confirmed")
    return world


def test_a_month_cannot_be_closed_before_it_is_over(october):
    with pytest.raises(Conflict) as exc:
        services.close_month(october.xa_staff, "XA", OCT)
    assert exc.value.code == "month_not_over"


def test_closing_stores_figures_for_the_subtree_only(october, frozen):
    assert row_of(october.stu_xa).status == "awaiting_confirmation"
    frozen("2026-11-03 09:00")
    state = services.close_state(october.xa_staff, "XA", OCT)
    assert (state.students, state.pending_minutes, state.would_miss) == (1, 440, 1)
    services.close_month(october.xa_staff, "XA", OCT)
    stored = figure(october.stu_xa)
    assert (stored.required_minutes, stored.confirmed_minutes, stored.pending_minutes) == (
        1440,
        1000,
        440,
    )
    # Pending minutes no longer count once the month is closed.
    assert stored.status == "missed" and stored.union_code == "XA"
    assert figure(october.stu_tc) is None
    row = row_of(october.stu_xa)
    assert row.is_closed and row.stored and row.status == "missed"
    assert row_of(october.stu_tc).is_closed is False
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.entity == "month")).one()
    assert entry.entity_id == "XA/2026-10" and entry.after["pending_minutes_not_counted"] == 440


def test_stored_figures_do_not_move_with_later_records(october, frozen, add_minutes):
    frozen("2026-11-03 09:00")
    services.close_month(october.xa_staff, "XA", OCT)
    add_minutes(october.stu_xa, october.agr_xa, "2026-10-03", 600, "confirmed")
    assert row_of(october.stu_xa).confirmed_minutes == 1000


def test_closing_twice_or_under_a_closed_parent_is_refused(october, frozen):
    frozen("2026-11-03 09:00")
    services.close_month(october.sx_staff, "SX", OCT)
    for actor, code in ((october.sx_staff, "SX"), (october.xa_staff, "XA")):
        with pytest.raises(Conflict) as exc:
            services.close_month(actor, code, OCT)
        assert exc.value.code == "month_closed"
    assert db.session.scalar(select(func.count()).select_from(MonthFigure)) == 2


def test_closing_another_citys_union_is_not_found(october, frozen):
    frozen("2026-11-03 09:00")
    with pytest.raises(NotFound):
        services.close_month(october.xa_staff, "TC", OCT)


def test_bad_month_is_a_validation_error(october):
    with pytest.raises(ValidationError):
        services.close_month(october.xa_staff, "XA", "2026-13")


def test_exemption_in_a_closed_month_needs_an_override_reason(october, frozen):
    frozen("2026-11-03 09:00")
    services.close_month(october.xa_staff, "XA", OCT)
    with pytest.raises(Conflict) as exc:
        services.create_exemption(october.xa_staff, october.stu_xa.id, OCT, "考试周", 440)
    assert exc.value.code == "month_closed"
    services.create_exemption(
        october.xa_staff,
        october.stu_xa.id,
        OCT,
        "考试周",
        440,
        override_reason="学校补交的考试安排",
    )
    stored = figure(october.stu_xa)
    assert (stored.required_minutes, stored.exempt_minutes, stored.status) == (1000, 440, "met")
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.entity == "exemption")).one()
    assert entry.after["override_reason"] == "学校补交的考试安排"


def test_exemption_in_an_open_month_needs_no_override(october):
    exemption = services.create_exemption(october.xa_staff, october.stu_xa.id, OCT, "考试周")
    assert exemption.minutes is None
    assert row_of(october.stu_xa).status == "exempt"


def test_locks_refuse_other_actors(october, frozen):
    frozen("2026-11-03 09:00")
    services.close_month(october.xa_staff, "XA", OCT)
    stu = october.stu_xa.id
    for actor in (october.ent_xa_staff, october.tc_staff, october.xa_staff):
        with pytest.raises(Conflict):
            guard.ensure_changeable(actor, stu, [OCT])
    # an override from anyone but the student's union is refused outright (403)
    for actor in (october.ent_xa_staff, october.tc_staff):
        with pytest.raises(Forbidden):
            guard.ensure_changeable(actor, stu, [OCT], override_reason="理由")
    assert guard.ensure_changeable(october.xa_staff, stu, [OCT], override_reason="理由").overriding
    assert not guard.ensure_changeable(october.xa_staff, stu, ["2026-11"]).closed


def test_an_hours_changed_event_refreshes_stored_figures(october, frozen, add_minutes):
    frozen("2026-11-03 09:00")
    services.close_month(october.xa_staff, "XA", OCT)
    add_minutes(october.stu_xa, october.agr_xa, "2026-10-03", 440, "confirmed")
    events.hours_changed.send(october.stu_xa.id, months={OCT, "2026-11"})
    db.session.commit()
    stored = figure(october.stu_xa)
    assert (stored.confirmed_minutes, stored.status) == (1440, "met")
    assert figure(october.stu_xa, "2026-11") is None


def test_calendar_override_of_a_closed_month(
    october, frozen, make_student, make_agreement, add_minutes
):
    late = make_student("XA")
    agreement = make_agreement(late, october.ent_xa, "2026-10-08", "2027-06-30")
    add_minutes(late, agreement, "2026-10-11", 700, "confirmed")
    frozen("2026-11-03 09:00")
    services.close_month(october.sx_staff, "SX", OCT)
    # From the 8th: 6 of 13 rest days → 690 minutes, met with 700.
    assert (figure(late).required_minutes, figure(late).status) == (690, "met")
    with pytest.raises(Conflict) as exc:
        calendar_services.set_override(october.sx_staff, date(2026, 10, 10), "rest")
    assert exc.value.code == "month_closed"
    calendar_services.set_override(
        october.sx_staff, date(2026, 10, 10), "rest", reason="省政府通知"
    )
    # Saturday the 10th made a rest day: 7 of 14 → 720 minutes, no longer met.
    assert (figure(late).required_minutes, figure(late).status) == (720, "missed")
    assert figure(october.stu_tc).status == "met"
    calendar_services.delete_override(october.sx_staff, date(2026, 10, 10), reason="撤回")
    assert figure(late).status == "met"
    actions = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.entity == "calendar").order_by(AuditEntry.id)
    ).all()
    assert actions == ["overridden", "override_removed"]


def test_reopen_only_by_the_union_that_closed(october, frozen):
    frozen("2026-11-03 09:00")
    services.close_month(october.xa_staff, "XA", OCT)
    with pytest.raises(Conflict) as exc:
        services.reopen_month(october.sx_staff, "SX", OCT, "核对")
    assert exc.value.code == "invalid_state"
    with pytest.raises(ValidationError):
        services.reopen_month(october.xa_staff, "XA", OCT, "  ")
    with pytest.raises(NotFound):
        services.reopen_month(october.tc_staff, "XA", OCT, "核对")
    services.reopen_month(october.xa_staff, "XA", OCT, "企业补充确认")
    assert figure(october.stu_xa) is None
    assert row_of(october.stu_xa).status == "awaiting_confirmation"
    close = db.session.scalars(select(MonthClose)).one()
    assert close.closed_at is None and close.reopen_reason == "企业补充确认"
    # Closing again works and stores fresh figures.
    services.close_month(october.xa_staff, "XA", OCT)
    assert figure(october.stu_xa).status == "missed"


def test_reopening_a_child_keeps_figures_a_parent_still_locks(october, frozen):
    frozen("2026-11-03 09:00")
    services.close_month(october.xa_staff, "XA", OCT)
    services.close_month(october.sx_staff, "SX", OCT)
    services.reopen_month(october.xa_staff, "XA", OCT, "核对")
    assert figure(october.stu_xa) is not None and row_of(october.stu_xa).is_closed
    services.reopen_month(october.sx_staff, "SX", OCT, "核对")
    assert figure(october.stu_xa) is None and figure(october.stu_tc) is None


def test_dashboard_figures_agree_with_closed_rows(october, frozen):
    frozen("2026-11-03 09:00")
    services.close_month(october.sx_staff, "SX", OCT)
    board = services.dashboard(october.sx_staff, OCT)
    assert board.summary["met"] == 1 and board.summary["missed"] == 1
    assert board.closed_by == ["SX"]
    assert dict(board.history)[OCT] == pytest.approx(0.5)


def test_rate_history_counts_stored_figures_and_students_a_close_missed(
    october, frozen, add_minutes, make_student, make_agreement
):
    frozen("2026-11-03 09:00")
    services.close_month(october.xa_staff, "XA", OCT)
    # Recorded after the close without an override: the stored figure (missed) stands.
    add_minutes(october.stu_xa, october.agr_xa, "2026-10-03", 600, "confirmed")
    late = make_student("XA")  # registered after the close: no stored figure
    add_minutes(late, make_agreement(late, october.ent_xa), "2026-10-04", 1440, "confirmed")
    ids = select(Student.id)
    history = dict(services.rate_history(ids, 3, date(2026, 11, 3)))
    # October: XA's student missed (stored), TC's met (open), the late one met (computed).
    assert history[OCT] == pytest.approx(2 / 3)
    assert list(history) == ["2026-09", OCT, "2026-11"]
    rows = services.compute_month_rows(OCT, ids)
    assert sum(r.status == "met" for r in rows) == 2
