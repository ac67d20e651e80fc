"""Month rows (R18–R20) computed over the database: requirement, minutes, status, pace."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from volunteer.calendar.models import CalendarOverride
from volunteer.compliance import services
from volunteer.compliance.models import Exemption
from volunteer.extensions import db
from volunteer.students.models import Student

from .compliance_support import add_minutes_fixture  # noqa: F401

NOV, OCT = "2026-11", "2026-10"


def row_of(student, month=NOV, today=None):
    ids = select(Student.id).where(Student.id == student.id)
    (row,) = services.compute_month_rows(month, ids, today=today)
    return row


def exempt(student, month, minutes=None, revoked=False):
    from volunteer import clock

    db.session.add(
        Exemption(
            student_id=student.id,
            month=month,
            minutes=minutes,
            reason="考试周",
            created_at=clock.now(),
            revoked_at=clock.now() if revoked else None,
        )
    )
    db.session.commit()


# --- requirement --------------------------------------------------------------------


def test_whole_month_requires_24_hours(world, frozen):
    frozen("2026-11-02 09:00")
    row = row_of(world.stu_xa)
    assert (row.gross_minutes, row.required_minutes) == (1440, 1440)
    assert row.has_agreement and row.enterprise_ids == (world.ent_xa.id,)
    assert row.student_name == "王小明" and row.union_code == "XA"


def test_partial_month_counts_rest_days_inside_the_agreement(world, make_student, make_agreement):
    student = make_student("XA")
    make_agreement(student, world.ent_xa, "2026-11-15", "2027-06-30")
    # 15th..30th hold 5 of November's 9 rest days: 1440 × 5/9 = 800 → 810.
    assert row_of(student, today=date(2026, 11, 2)).required_minutes == 810


def test_october_holidays_and_the_adjusted_working_saturday(world, make_student, make_agreement):
    student = make_student("XA")
    make_agreement(student, world.ent_xa, "2026-10-08", "2027-06-30")
    # October has 13 rest days (1–7 National Day; Saturday the 10th is a working day);
    # 8th..31st hold 6 of them: 1440 × 6/13 = 664.6 → 690.
    row = row_of(student, OCT, today=date(2026, 10, 10))
    assert row.required_minutes == 690
    # On Saturday the 10th (a working day) the days left are 11, 17, 18, 24, 25, 31.
    assert row.allowed_days_left == 6


def test_calendar_override_changes_the_requirement(world, make_student, make_agreement):
    student = make_student("XA")
    make_agreement(student, world.ent_xa, "2026-10-08", "2027-06-30")
    db.session.add(
        CalendarOverride(day=date(2026, 10, 10), kind="rest", created_at=world.sx.created_at)
    )
    db.session.commit()
    # Now 14 rest days, 7 of them from the 8th: exactly half of 24 hours.
    row = row_of(student, OCT, today=date(2026, 10, 10))
    assert row.required_minutes == 720
    assert row.allowed_days_left == 7


def test_switching_enterprise_mid_month_owes_the_same_24_hours(world, make_student, make_agreement):
    student = make_student("XA")
    make_agreement(student, world.ent_xa, "2026-09-01", "2026-11-14")
    make_agreement(student, world.ent_tc, "2026-11-15", "2027-06-30")
    row = row_of(student, today=date(2026, 11, 2))
    assert row.required_minutes == 1440
    assert set(row.enterprise_ids) == {world.ent_xa.id, world.ent_tc.id}


def test_terminated_agreement_is_cut_the_day_before_its_effective_date(
    world, make_student, make_agreement
):
    student = make_student("XA")
    make_agreement(student, world.ent_xa, terminated_on=date(2026, 11, 15))
    # Covered 1st..14th: rest days 1, 7, 8, 14 → 1440 × 4/9 = 640 → 660.
    assert row_of(student, today=date(2026, 11, 2)).required_minutes == 660


def test_an_agreement_terminated_before_the_month_names_no_enterprise(
    world, make_student, make_agreement
):
    student = make_student("XA")
    make_agreement(student, world.ent_xa, terminated_on=date(2026, 11, 1))
    make_agreement(student, world.ent_tc, starts_on="2026-11-01")
    # One month alone or several at once: only the enterprise of the agreement that
    # covers part of November counts the student in its group.
    ids = select(Student.id).where(Student.id == student.id)
    assert row_of(student).enterprise_ids == (world.ent_tc.id,)
    rows = services.compute_rows_by_month([OCT, NOV], ids, today=date(2026, 11, 2))
    assert rows[NOV][0].enterprise_ids == (world.ent_tc.id,)
    assert rows[OCT][0].enterprise_ids == (world.ent_xa.id,)


def test_unsigned_agreement_creates_no_requirement_but_counts_as_matched(
    world, make_student, make_agreement
):
    student = make_student("XA")
    make_agreement(student, world.ent_xa, signed=False)
    row = row_of(student, today=date(2026, 11, 2))
    assert (row.required_minutes, row.status, row.has_agreement) == (0, "not_required", True)


def test_paper_signed_agreement_counts(world, make_student, make_agreement):
    student = make_student("XA")
    make_agreement(student, world.ent_xa, signed=False, paper_signed_on=date(2026, 8, 30))
    assert row_of(student, today=date(2026, 11, 2)).required_minutes == 1440


def test_internship_with_zero_hours_is_not_required(world, make_student, make_agreement):
    student = make_student("XA")
    make_agreement(student, world.ent_xa, "2026-11-01", "2026-11-30", kind="internship")
    row = row_of(student, today=date(2026, 11, 2))
    assert row.status == "not_required" and row.has_agreement


def test_internship_hours_spread_over_every_day(world, make_student, make_agreement):
    student = make_student("XA")
    make_agreement(
        student, world.ent_xa, "2026-11-16", "2026-12-31", kind="internship", monthly_hours=40
    )
    # Workdays allowed: 15 of 30 days → 40 h × 1/2 = 1200 minutes.
    row = row_of(student, today=date(2026, 11, 20))
    assert row.required_minutes == 1200
    assert row.allowed_days_left == 11  # 20th..30th, every day


def test_student_without_any_agreement_is_unmatched(world, make_student):
    student = make_student("XA")
    row = row_of(student, today=date(2026, 11, 2))
    assert (row.status, row.has_agreement, row.enterprise_ids) == ("not_required", False, ())


def test_cancelled_agreement_leaves_the_student_unmatched(world, make_student, make_agreement):
    student = make_student("XA")
    make_agreement(
        student, world.ent_xa, "2026-12-01", "2027-06-30", terminated_on=date(2026, 12, 1)
    )
    assert row_of(student, today=date(2026, 11, 2)).has_agreement is False


def test_agreement_ended_before_the_month_requires_nothing(world, make_student, make_agreement):
    student = make_student("XA")
    make_agreement(student, world.ent_xa, "2026-03-01", "2026-06-30")
    row = row_of(student, today=date(2026, 11, 2))
    assert row.status == "not_required" and row.has_agreement


# --- exemptions ---------------------------------------------------------------------


def test_partial_exemption_reduces_the_requirement(world):
    exempt(world.stu_xa, NOV, 600)
    row = row_of(world.stu_xa, today=date(2026, 11, 2))
    assert (row.gross_minutes, row.exempt_minutes, row.required_minutes) == (1440, 600, 840)


def test_exemptions_add_up_and_never_go_below_zero(world):
    exempt(world.stu_xa, NOV, 1000)
    exempt(world.stu_xa, NOV, 1000)
    row = row_of(world.stu_xa, today=date(2026, 11, 2))
    assert (row.exempt_minutes, row.required_minutes, row.status) == (1440, 0, "exempt")


def test_whole_exemption_covers_the_requirement(world):
    exempt(world.stu_xa, NOV, None)
    row = row_of(world.stu_xa, today=date(2026, 11, 2))
    assert (row.exempt_minutes, row.required_minutes, row.status) == (1440, 0, "exempt")


def test_revoked_exemption_and_other_months_do_not_count(world):
    exempt(world.stu_xa, NOV, None, revoked=True)
    exempt(world.stu_xa, "2026-12", None)
    assert row_of(world.stu_xa, today=date(2026, 11, 2)).required_minutes == 1440


def test_exemption_without_requirement_is_still_not_required(world, make_student):
    student = make_student("XA")
    exempt(student, NOV, None)
    assert row_of(student, today=date(2026, 11, 2)).status == "not_required"


# --- minutes and statuses -------------------------------------------------------------


def test_only_confirmed_and_pending_minutes_count(world, add_minutes):
    add_minutes(world.stu_xa, world.agr_xa, "2026-11-01", 100, "confirmed")
    add_minutes(world.stu_xa, world.agr_xa, "2026-11-07", 60, "pending")
    add_minutes(world.stu_xa, world.agr_xa, "2026-11-08", 500, "rejected")
    add_minutes(world.stu_xa, world.agr_xa, "2026-11-14", 0, "auto_closed")
    add_minutes(world.stu_xa, world.agr_xa, "2026-10-31", 700, "confirmed")
    row = row_of(world.stu_xa, today=date(2026, 11, 16))
    assert (row.confirmed_minutes, row.pending_minutes) == (100, 60)
    assert row.needed_minutes == 1440 - 160


def test_on_track_early_in_the_month_with_its_pace(world):
    # Monday 2 November: 8 rest days left (7, 8, 14, 15, 21, 22, 28, 29).
    row = row_of(world.stu_xa, today=date(2026, 11, 2))
    assert (row.status, row.allowed_days_left) == ("on_track", 8)
    assert row.pace_minutes_per_day == 180


def test_at_risk_mid_month(world, frozen):
    frozen("2026-11-16 10:00")
    # Four rest days left: capacity 4 × 8 h = 1920 minutes; 1440 needed > half of it.
    row = row_of(world.stu_xa)
    assert (row.status, row.allowed_days_left, row.pace_minutes_per_day) == ("at_risk", 4, 360)


def test_on_track_boundary_is_exactly_half_the_capacity(world, add_minutes):
    add_minutes(world.stu_xa, world.agr_xa, "2026-11-01", 480, "confirmed")
    # 960 needed, capacity 1920: needed × 2 is not above it.
    assert row_of(world.stu_xa, today=date(2026, 11, 16)).status == "on_track"


def test_missed_when_the_days_left_cannot_hold_the_hours(world):
    # Saturday the 28th: two rest days left (28, 29) hold 960 < 1440 minutes.
    row = row_of(world.stu_xa, today=date(2026, 11, 28))
    assert (row.status, row.allowed_days_left) == ("missed", 2)


def test_met_and_awaiting_confirmation(world, make_student, make_agreement, add_minutes):
    other = make_student("XA")
    agreement = make_agreement(other, world.ent_xa)
    add_minutes(world.stu_xa, world.agr_xa, "2026-11-01", 1440, "confirmed")
    add_minutes(other, agreement, "2026-11-01", 1000, "confirmed")
    add_minutes(other, agreement, "2026-11-07", 440, "pending")
    assert row_of(world.stu_xa, today=date(2026, 11, 8)).status == "met"
    row = row_of(other, today=date(2026, 11, 8))
    assert (row.status, row.needed_minutes) == ("awaiting_confirmation", 0)


def test_month_over_is_missed_unless_pending_covers_it(world, add_minutes):
    add_minutes(world.stu_xa, world.agr_xa, "2026-11-01", 600, "confirmed")
    row = row_of(world.stu_xa, today=date(2026, 12, 3))
    assert (row.status, row.allowed_days_left, row.pace_minutes_per_day) == ("missed", 0, None)
    add_minutes(world.stu_xa, world.agr_xa, "2026-11-07", 840, "pending")
    assert row_of(world.stu_xa, today=date(2026, 12, 3)).status == "awaiting_confirmation"


def test_future_month_counts_every_allowed_day(world):
    row = row_of(world.stu_xa, "2026-12", today=date(2026, 11, 20))
    assert row.status == "on_track" and row.allowed_days_left > 0


# --- summary and groups -----------------------------------------------------------------


def test_summary_counts_and_rate(world, make_student, make_agreement, add_minutes):
    met = make_student("XA")
    add_minutes(met, make_agreement(met, world.ent_xa), "2026-11-01", 1440)
    exempted = make_student("XA")
    make_agreement(exempted, world.ent_xa)
    exempt(exempted, NOV, None)
    make_student("XA")  # unmatched
    ids = select(Student.id).where(Student.union_code == "XA")
    rows = services.compute_month_rows(NOV, ids, today=date(2026, 11, 16))
    figures = services.summary(rows)
    assert figures["met"] == 1 and figures["exempt"] == 1 and figures["at_risk"] == 1
    assert figures["not_required"] == 1 and figures["unmatched"] == 1
    assert figures["total"] == 4 and figures["required_count"] == 2
    # met ÷ students required after exemptions: 1 of (met, at risk).
    assert figures["compliance_rate"] == pytest.approx(0.5)
    assert sum(figures[s] for s in services.STATUSES) == 4


def test_summary_by_union_and_by_enterprise(world, make_student, make_union, add_minutes):
    add_minutes(world.stu_xa, world.agr_xa, "2026-11-01", 1440)
    make_union("YT", "雁塔区总工会", parent="XA")
    make_student("YT")
    groups = services.summary_by_union(world.sx_staff, NOV, today=date(2026, 11, 16))
    by_code = {g.key: g for g in groups}
    assert set(by_code) == {"XA", "TC"}
    assert by_code["XA"].students == 2 and by_code["XA"].met == 1
    assert by_code["XA"].unmatched == 1 and by_code["XA"].compliance_rate == 1.0
    assert by_code["TC"].at_risk == 1 and by_code["TC"].compliance_rate == 0.0
    xa_groups = services.summary_by_union(world.xa_staff, NOV, today=date(2026, 11, 16))
    assert [(g.key, g.students) for g in xa_groups] == [("XA", 1), ("YT", 1)]
    enterprises = services.summary_by_enterprise(world.sx_staff, NOV, today=date(2026, 11, 16))
    assert {(g.name, g.students, g.confirmed_minutes) for g in enterprises} == {
        ("西安爱心科技有限公司", 1, 1440),
        ("铜川爱心制造有限公司", 1, 0),
    }
    assert services.summary_by_enterprise(world.tc_staff, NOV)[0].name == "铜川爱心制造有限公司"


def test_rate_history_covers_twelve_months(world, add_minutes):
    add_minutes(world.stu_xa, world.agr_xa, "2026-10-01", 1440)
    history = services.rate_history(select(Student.id), 12, date(2026, 11, 16))
    assert [m for m, _ in history][0] == "2025-12" and history[-1][0] == NOV
    rates = dict(history)
    assert rates["2026-08"] is None  # before the agreements began
    assert rates["2026-10"] == pytest.approx(0.5)
    assert rates[NOV] == 0.0
