"""Month close (R21): the warning preview, closing with stored figures, reopening, and
keeping stored figures true when an authorised change reaches a closed month."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from .. import audit, clock, events
from ..auth import scope
from ..auth.models import User
from ..auth.services import commit_or_conflict
from ..calendar.rules import month_bounds
from ..calendar.services import parse_month_arg
from ..database import lock_rows
from ..errors import N_, Conflict, ValidationError
from ..extensions import db
from ..periods import locks
from ..periods.models import MonthClose
from ..students.models import Student
from ..unions.models import Union
from .groups import subtree_student_ids
from .models import MonthFigure
from .monthrows import MonthRow, compute_rows_by_month

_FIGURE_FIELDS = (
    "gross_minutes",
    "required_minutes",
    "confirmed_minutes",
    "pending_minutes",
    "exempt_minutes",
    "status",
)


@dataclass
class CloseState:
    """What the close page shows about a union's month."""

    union: Union
    month: str
    month_over: bool
    close: MonthClose | None  # this union's own close row (closed or reopened)
    closed_by: list[str]  # codes of the unions (this or an ancestor) whose close covers it
    students: int = 0
    pending_minutes: int = 0
    pending_students: int = 0
    would_miss: int = 0
    met: int = 0
    missed: int = 0
    pending_rows: list[MonthRow] = field(default_factory=list)  # students, most pending first

    @property
    def is_closed(self) -> bool:
        """Return whether the month is closed for this union's subtree."""
        return bool(self.closed_by)

    @property
    def can_reopen(self) -> bool:
        """Return whether this union itself closed the month (only it may reopen)."""
        return self.close is not None and self.close.is_closed


def _union_and_month(actor: User, union_code: str, month: str) -> tuple[Union, str]:
    union = scope.get_or_404(scope.unions(actor), Union, union_code)
    return union, parse_month_arg(month)


def covering_closes(union: Union, month: str) -> list[str]:
    """Return the codes of this union and its ancestors that have closed the month."""
    ancestors = [c for c in union.path.strip("/").split("/") if c]
    return list(
        db.session.scalars(
            select(MonthClose.union_code).where(
                MonthClose.union_code.in_(ancestors),
                MonthClose.month == month,
                MonthClose.closed_at.is_not(None),
            )
        )
    )


def close_state(
    actor: User, union_code: str, month: str, *, today: date | None = None
) -> CloseState:
    """Describe a union's month for the close page: is it over, closed, and what is lost."""
    union, month = _union_and_month(actor, union_code, month)
    today = today or clock.today()
    own = db.session.scalar(
        select(MonthClose).where(MonthClose.union_code == union.code, MonthClose.month == month)
    )
    state = CloseState(
        union, month, today > month_bounds(month)[1], own, covering_closes(union, month)
    )
    live = compute_rows_by_month([month], subtree_student_ids(union), today=today)[month]
    state.students = len(live)
    for row in live:
        # After the close: met stays met; every other required month becomes missed.
        state.met += row.status == "met"
        state.missed += row.status in ("missed", "awaiting_confirmation", "at_risk", "on_track")
        if row.is_closed:
            continue
        state.pending_minutes += row.pending_minutes
        state.pending_students += row.pending_minutes > 0
        state.would_miss += row.status == "awaiting_confirmation"
        if row.pending_minutes > 0:
            state.pending_rows.append(row)
    state.pending_rows.sort(key=lambda r: (-r.pending_minutes, r.student_name))
    return state


def _figure_values(row: MonthRow) -> dict:
    return {name: getattr(row, name) for name in _FIGURE_FIELDS}


def close_month(
    actor: User, union_code: str, month: str, *, now: datetime | None = None
) -> MonthClose:
    """Close a month for a union's subtree: store every student's figures and lock it."""
    union, month = _union_and_month(actor, union_code, month)
    now = now or clock.now()
    today = clock.to_local(now).date()
    if today <= month_bounds(month)[1]:
        raise Conflict("month_not_over", N_("%(month)s 尚未结束，月末之后才能结算。", month=month))
    lock_rows(union)
    if covering_closes(union, month):
        raise Conflict("month_closed", N_("%(month)s 已结算。", month=month))
    rows = compute_rows_by_month([month], subtree_student_ids(union), today=today, final=True)[
        month
    ]
    # Students already closed by a descendant union keep the figures stored then.
    fresh = [r for r in rows if not r.stored]
    try:
        if fresh:
            db.session.execute(
                insert(MonthFigure),
                [
                    {
                        "student_id": r.student_id,
                        "month": month,
                        "union_code": r.union_code,
                        "stored_at": now,
                        **_figure_values(r),
                    }
                    for r in fresh
                ],
            )
    except IntegrityError as exc:
        # Another close of an overlapping subtree stored these figures first.
        db.session.rollback()
        raise Conflict("conflict", N_("该月正在被同时结算，请刷新后重试。")) from exc
    row = db.session.scalar(
        select(MonthClose).where(MonthClose.union_code == union.code, MonthClose.month == month)
    )
    if row is None:
        row = MonthClose(union_code=union.code, month=month)
        db.session.add(row)
    row.closed_at, row.closed_by_id = now, actor.id
    db.session.flush()
    events.month_closed.send(union.code, month=month, actor=actor)
    lost = sum(r.pending_minutes for r in fresh)
    audit.record(
        actor,
        "closed",
        "month",
        f"{union.code}/{month}",
        union_path=union.path,
        after={
            "union_code": union.code,
            "month": month,
            "students": len(rows),
            "pending_minutes_not_counted": lost,
            "missed": sum(r.status == "missed" for r in rows),
        },
    )
    commit_or_conflict()
    return row


def reopen_month(
    actor: User, union_code: str, month: str, reason: str | None, *, now: datetime | None = None
) -> MonthClose:
    """Reopen a month closed by this very union, with a reason (audited)."""
    union, month = _union_and_month(actor, union_code, month)
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    if not reason:
        raise ValidationError.field("reason", N_("请填写重新开放的理由。"))
    if len(reason) > 1000:
        raise ValidationError.field("reason", N_("理由最多 1000 字。"))
    row = db.session.scalar(
        select(MonthClose).where(MonthClose.union_code == union.code, MonthClose.month == month)
    )
    if row is None or not row.is_closed:
        raise Conflict(
            "invalid_state",
            N_("%(union)s没有结算 %(month)s，无需重新开放。", union=union.name, month=month),
        )
    now = now or clock.now()
    before = {"closed_at": clock.to_local(row.closed_at).isoformat()}
    row.closed_at, row.reopened_at, row.reopen_reason = None, now, reason
    db.session.flush()
    _drop_unlocked_figures(union, month)
    db.session.flush()
    events.month_reopened.send(union.code, month=month, actor=actor)
    audit.record(
        actor,
        "reopened",
        "month",
        f"{union.code}/{month}",
        union_path=union.path,
        before=before,
        after={"reason": reason},
    )
    commit_or_conflict()
    return row


def _drop_unlocked_figures(union: Union, month: str) -> None:
    """Delete the stored figures of students no close covers any more."""
    closing = set(
        db.session.scalars(
            select(MonthClose.union_code).where(
                MonthClose.month == month, MonthClose.closed_at.is_not(None)
            )
        )
    )
    rows = db.session.execute(
        select(MonthFigure.id, Union.path)
        .join(Student, Student.id == MonthFigure.student_id)
        .join(Union, Union.code == Student.union_code)
        .where(MonthFigure.month == month, MonthFigure.student_id.in_(subtree_student_ids(union)))
    ).all()
    stale = [fid for fid, path in rows if not closing & set(path.strip("/").split("/"))]
    for start in range(0, len(stale), 500):
        db.session.execute(
            delete(MonthFigure).where(MonthFigure.id.in_(stale[start : start + 500]))
        )


def refresh_stored_figures(student_id: int, months: Iterable[str]) -> None:
    """Recompute a student's stored figures in those of `months` that are closed (R21)."""
    for month in sorted(locks.closed_months(student_id, months)):
        refresh_month_figures(month, select(Student.id).where(Student.id == student_id))


def refresh_month_figures(month: str, student_ids_select=None) -> int:
    """Recompute the stored figures of a closed month (all its students, or a selection)."""
    ids = student_ids_select
    if ids is None:
        ids = select(MonthFigure.student_id).where(MonthFigure.month == month)
    now = clock.now()
    rows = compute_rows_by_month([month], ids, final=True, use_stored=False)[month]
    existing = dict(
        db.session.execute(
            select(MonthFigure.student_id, MonthFigure.id).where(
                MonthFigure.month == month, MonthFigure.student_id.in_(ids)
            )
        ).all()
    )
    updates = [
        {"id": existing[r.student_id], "stored_at": now, **_figure_values(r)}
        for r in rows
        if r.student_id in existing
    ]
    inserts = [
        {
            "student_id": r.student_id,
            "month": month,
            "union_code": r.union_code,
            "stored_at": now,
            **_figure_values(r),
        }
        for r in rows
        if r.student_id not in existing
    ]
    if updates:
        db.session.execute(update(MonthFigure), updates)
    if inserts:
        db.session.execute(insert(MonthFigure), inserts)
    return len(rows)
