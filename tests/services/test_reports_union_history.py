"""Union summary history: closed months come from stored figures, not recomputed rows."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from volunteer import clock
from volunteer.compliance import groups, services
from volunteer.reports import figures
from volunteer.reports.union_summaries import build_union_summary
from volunteer.students.models import Student

from .compliance_support import add_minutes_fixture  # noqa: F401

OCT = "2026-10"


@pytest.fixture
def closed_october(world, add_minutes, frozen):
    """October closed for SX: XA's student missed (stored), TC's met (stored)."""
    frozen("2026-10-20 10:00")
    add_minutes(world.stu_xa, world.agr_xa, "2026-10-01", 600, "confirmed")
    add_minutes(world.stu_tc, world.agr_tc, "2026-10-01", 1440, "confirmed")
    frozen("2026-11-03 09:00")
    services.close_month(world.sx_staff, "SX", OCT)
    return world


@pytest.fixture
def computed_months(monkeypatch):
    """Record the months for which compliance computes rows one by one (non-empty)."""
    seen: list[str] = []
    real = groups.compute_rows_by_month

    def spy(months, ids, **kwargs):
        out = real(months, ids, **kwargs)
        seen.extend(month for month, rows in out.items() if rows)
        return out

    monkeypatch.setattr(groups, "compute_rows_by_month", spy)
    return seen


def test_closed_months_are_not_recomputed(closed_october, computed_months):
    ids = select(Student.id)
    history = dict(figures.rate_history(ids, "2026-11", date(2026, 11, 3), 3))
    assert list(history) == ["2026-09", OCT, "2026-11"]
    assert history[OCT] == pytest.approx(0.5)
    # Every student has a stored October figure: only the open months are computed.
    assert OCT not in computed_months
    assert "2026-11" in computed_months


def test_union_summary_reuses_its_month_rows(closed_october, computed_months):
    summary = build_union_summary(closed_october.sx_staff, "SX", "2026-11", now=clock.now())
    history = dict(summary.history)
    assert len(history) == 12
    assert history[OCT] == pytest.approx(0.5)
    # The summary's own month is not computed a second time for the chart.
    assert "2026-11" not in computed_months
    assert OCT not in computed_months


def test_history_stops_at_the_year_one(world):
    ids = select(Student.id)
    history = figures.rate_history(ids, "0001-03", date(2026, 11, 3), 12)
    assert [month for month, _ in history] == ["0001-01", "0001-02", "0001-03"]
