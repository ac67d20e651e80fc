"""What the compliance pages show: the union dashboard, list exports, a student's month."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Select, func, select, text

from .. import audit, clock
from ..agreements.models import Agreement
from ..auth import scope
from ..auth.models import User
from ..auth.services import commit_or_conflict
from ..calendar.rules import month_bounds, month_of
from ..calendar.services import coverage_warnings, parse_month_arg
from ..checkin.models import UNINSURED_PREDICATE, ServiceSession
from ..checkin.sessions import has_flag, touches_month
from ..enterprises.models import Enterprise
from ..errors import N_, Forbidden, ValidationError
from ..extensions import db
from ..unions.models import Union
from . import readmodel_reads
from .closing import covering_closes
from .exemptions import month_exemptions
from .groups import (
    GroupFigures,
    chart_months,
    enterprise_groups,
    live_history_months,
    rate_history,
    subtree_student_ids,
    union_groups,
)
from .models import Exemption
from .monthrows import MonthRow, compute_rows_by_month, summary
from .readmodel_reads import SubtreeMonth
from .readmodel_reads import rate_history as table_history
from .reads import by_severity, list_compliance, parse_status, scoped_student_ids, student_month


@dataclass
class Dashboard:
    """Everything the union dashboard shows for a month and its filters."""

    month: str
    union: Union
    rows: list[MonthRow]
    summary: dict
    listed: Sequence[MonthRow]
    union_groups: list[GroupFigures]
    enterprise_groups: list[GroupFigures]
    history: list[tuple[str, float | None]]
    coverage: list[dict]
    closed_by: list[str]
    month_over: bool
    unions: list[Union] = field(default_factory=list)
    status: str | None = None
    enterprise_id: int | None = None
    # R37: the month's sessions of the subtree's students that no insurance covered.
    uninsured_sessions: int = 0
    # Set when the lists come from the read model a page at a time (rows is then empty).
    table: SubtreeMonth | None = None

    def with_status(self, status: str) -> Sequence[MonthRow]:
        """Return the rows of one status, worst first."""
        if self.table is not None:
            return self.table.lazy(status=status, total=self.summary.get(status, 0))
        return by_severity([r for r in self.rows if r.status == status])

    @property
    def unmatched(self) -> Sequence[MonthRow]:
        """Return the students without any agreement, by name."""
        if self.table is not None:
            return self.table.lazy(unmatched=True, order="name", total=self.summary["unmatched"])
        return sorted(
            (r for r in self.rows if not r.has_agreement),
            key=lambda r: (r.student_name, r.student_id),
        )


def dashboard(
    actor: User,
    month: str | None = None,
    *,
    union_code: str | None = None,
    enterprise_id: int | None = None,
    status: str | None = None,
    today: date | None = None,
) -> Dashboard:
    """Gather the union dashboard: counts, rate, chart data, groups and lists (R19, R24)."""
    if actor.role != "union_staff" or scope.actor_union(actor) is None:
        raise Forbidden()
    today = today or clock.today()
    month = parse_month_arg(month) if month else clock.current_month()
    status = parse_status(status)
    focus = scope.actor_union(actor)
    if union_code:
        focus = scope.get_or_404(scope.unions(actor), Union, union_code)
    focus_ids = subtree_student_ids(focus)
    ids = scoped_student_ids(actor, month, union_code=focus.code, enterprise_id=enterprise_id)
    if enterprise_id is None and readmodel_reads.enabled():
        dash = _table_dashboard(actor, focus, month, status, today)
        dash.uninsured_sessions = uninsured_sessions(focus_ids, month)
        return dash
    # The chart ends with the month shown (this month for a future one). Without an
    # enterprise filter its students are the month's: the chart's live months are loaded
    # with the month in one pass and handed to rate_history as known rows.
    last = min(month, month_of(today))
    extra = [] if enterprise_id else live_history_months(focus_ids, 12, last_month=last)
    by_month = compute_rows_by_month(sorted({month, *extra}), ids, today=today)
    rows = by_month[month]
    listed = by_severity([r for r in rows if status is None or r.status == status])
    return Dashboard(
        month=month,
        union=focus,
        rows=rows,
        summary=summary(rows),
        listed=listed,
        union_groups=union_groups(rows, focus),
        enterprise_groups=enterprise_groups(rows),
        history=rate_history(
            _enterprise_students(focus_ids, enterprise_id) if enterprise_id else focus_ids,
            12,
            today,
            last_month=last,
            known=None if enterprise_id else by_month,
        ),
        coverage=coverage_warnings(today),
        closed_by=covering_closes(focus, month),
        month_over=today > month_bounds(month)[1],
        unions=list(db.session.scalars(scope.unions(actor).order_by(Union.path))),
        status=status,
        enterprise_id=enterprise_id,
        uninsured_sessions=uninsured_sessions(focus_ids, month),
    )


def uninsured_sessions(student_ids: Select, month: str) -> int:
    """Count the month's sessions of these students flagged `uninsured` (one query)."""
    stmt = select(func.count(ServiceSession.id)).where(
        # The partial index's own predicate, as text (a parameter would not match it):
        # the planner reads only the uninsured sessions.
        text(UNINSURED_PREDICATE),
        has_flag("uninsured"),
        touches_month(month),
        ServiceSession.student_id.in_(student_ids),
    )
    return int(db.session.scalar(stmt) or 0)


def _table_dashboard(
    actor: User, focus: Union, month: str, status: str | None, today: date
) -> Dashboard:
    """The dashboard from the read model: grouped counts and pages of rows in SQL."""
    table = SubtreeMonth(focus, month, today)
    figures = table.summary()
    last = min(month, month_of(today))
    listed_total = figures["total"] if status is None else figures.get(status, 0)
    return Dashboard(
        month=month,
        union=focus,
        rows=[],
        summary=figures,
        listed=table.lazy(status=status, total=listed_total),
        union_groups=table.union_groups(),
        enterprise_groups=table.enterprise_groups(),
        history=table_history(focus, chart_months(12, last)),
        coverage=coverage_warnings(today),
        closed_by=covering_closes(focus, month),
        month_over=today > month_bounds(month)[1],
        unions=list(db.session.scalars(scope.unions(actor).order_by(Union.path))),
        status=status,
        enterprise_id=None,
        table=table,
    )


def _enterprise_students(focus_ids, enterprise_id: int):
    """The union's students who have ever had an agreement with the enterprise: the chart
    of a drilled-down dashboard is theirs, like its headline."""
    return select(Agreement.student_id).where(
        Agreement.enterprise_id == enterprise_id, Agreement.student_id.in_(focus_ids)
    )


def export_list(
    actor: User,
    month: str | None,
    which: str,
    *,
    union_code: str | None = None,
    enterprise_id: int | None = None,
    status: str | None = None,
) -> tuple[str, bytes]:
    """Build an XLSX of one dashboard list; the download is audited (R22)."""
    from . import export

    if which not in export.LISTS:
        raise ValidationError.field("list", N_("未知的列表。"))
    if actor.role == "enterprise_staff":
        month = parse_month_arg(month) if month else clock.current_month()
        rows, _ = list_compliance(actor, month, status=status)
        data = export.build(which, month, rows=by_severity(rows), groups=[])
        path = None
    else:
        board = dashboard(
            actor, month, union_code=union_code, enterprise_id=enterprise_id, status=status
        )
        month, path = board.month, board.union.path
        data = export.from_dashboard(which, board)
    audit.record(
        actor,
        "downloaded",
        "report",
        f"compliance/{month}/{which}",
        union_path=path,
        after={"list": which, "month": month},
    )
    commit_or_conflict()
    return f"compliance-{month}-{which}.xlsx", data


@dataclass
class Progress:
    """One student's month with the enterprises and exemptions behind it."""

    row: MonthRow
    enterprises: list[str]
    exemptions: list[Exemption]


def month_detail(
    actor: User, student_id: int, month: str | None = None, *, today: date | None = None
) -> Progress:
    """Return a student's month row with its enterprises and exemptions (revoked too)."""
    month = parse_month_arg(month) if month else clock.current_month()
    row = student_month(actor, student_id, month, today=today)
    names = []
    if row.enterprise_ids:
        found = dict(
            db.session.execute(
                select(Enterprise.id, Enterprise.name).where(Enterprise.id.in_(row.enterprise_ids))
            ).all()
        )
        names = [found[e] for e in row.enterprise_ids if e in found]
    return Progress(row, names, month_exemptions([row.student_id], month))


def my_progress(actor: User, month: str | None = None, *, today: date | None = None) -> Progress:
    """Return the student's own month (本月进度); revoked exemptions are left out."""
    if actor.role != "student" or actor.student_id is None:
        raise Forbidden()
    progress = month_detail(actor, actor.student_id, month, today=today)
    progress.exemptions = [e for e in progress.exemptions if e.revoked_at is None]
    return progress
