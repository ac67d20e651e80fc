"""The dashboard tells the truth about time: a drilled-down chart is the enterprise's,
months before any hour was recorded are not 0%, the running month is in progress, and a
student registered later does not count in earlier months."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.services.compliance_support import add_minutes_fixture  # noqa: F401
from volunteer.compliance import services


def _rates(history):
    return dict(history)


def test_enterprise_drill_down_charts_that_enterprise(world, frozen, add_minutes):
    add_minutes(world.stu_tc, world.agr_tc, "2026-10-03", 1500, "confirmed")  # TC met
    add_minutes(world.stu_xa, world.agr_xa, "2026-10-03", 60, "confirmed")  # XA missed
    frozen("2026-11-16 10:00")
    union = _rates(services.dashboard(world.sx_staff, "2026-11").history)
    drilled = services.dashboard(world.sx_staff, "2026-11", enterprise_id=world.ent_xa.id)
    assert union["2026-10"] == 0.5
    assert _rates(drilled.history)["2026-10"] == 0.0


def test_months_before_the_first_recorded_hour_have_no_rate(world, frozen, add_minutes):
    add_minutes(world.stu_xa, world.agr_xa, "2026-10-03", 60, "confirmed")
    frozen("2026-11-16 10:00")
    rates = _rates(services.dashboard(world.xa_staff, "2026-11").history)
    # The agreements began in September, but nothing was recorded before October.
    assert rates["2026-09"] is None and rates["2026-10"] == 0.0


def test_running_month_is_marked_in_progress(world, login, frozen, add_minutes):
    add_minutes(world.stu_xa, world.agr_xa, "2026-10-03", 60, "confirmed")
    frozen("2026-11-16 10:00")
    html = login(world.xa_staff).get("/compliance").get_data(as_text=True)
    assert "本月进行中" in html and "stat-rate running" in html
    assert 'class="point running" data-month="2026-11"' in html and ">进行中</text>" in html
    past = login(world.xa_staff).get("/compliance?month=2026-10").get_data(as_text=True)
    assert "本月进行中" not in past


def test_student_registered_later_does_not_count_earlier(
    world, frozen, make_student, make_agreement
):
    late = make_student("XA", "十二月新登记", created_at=datetime(2026, 12, 2, 2, tzinfo=UTC))
    make_agreement(late, world.ent_xa, starts_on="2026-10-01")
    frozen("2026-12-03 10:00")
    november = services.dashboard(world.xa_staff, "2026-11")
    december = services.dashboard(world.xa_staff, "2026-12")
    # The page lists `listed` (a page of rows from the read model, or the live rows).
    assert late.id not in {r.student_id for r in november.listed}
    assert late.id in {r.student_id for r in december.listed}
