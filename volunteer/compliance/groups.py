"""Group figures (R24): per child union and per enterprise, and the 12-month rate history."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, func, select

from .. import clock
from ..agreements.models import Agreement
from ..auth import scope
from ..auth.models import User
from ..calendar.rules import add_months, month_of
from ..checkin.models import SessionMonth
from ..enterprises.models import Enterprise
from ..errors import N_
from ..extensions import db
from ..students.models import Student
from ..unions.models import Union
from .models import MonthFigure
from .monthrows import MonthRow, compute_month_rows, compute_rows_by_month, load_closes
from .rules import compliance_rate


@dataclass
class GroupFigures:
    """One line of a union summary: a child union or an enterprise and its students."""

    key: str
    name: str
    students: int = 0
    required_minutes: int = 0
    confirmed_minutes: int = 0
    pending_minutes: int = 0
    required_count: int = 0
    met: int = 0
    at_risk: int = 0
    missed: int = 0
    unmatched: int = 0

    def add(self, row: MonthRow) -> None:
        """Count one student's month row in this group."""
        self.students += 1
        self.required_minutes += row.required_minutes
        self.confirmed_minutes += row.confirmed_minutes
        self.pending_minutes += row.pending_minutes
        if row.required_minutes > 0:
            self.required_count += 1
            self.met += row.status == "met"
        self.at_risk += row.status == "at_risk"
        self.missed += row.status == "missed"
        self.unmatched += not row.has_agreement

    @property
    def compliance_rate(self) -> float | None:
        """Return met ÷ students required, or None when nobody is required."""
        if self.required_count == 0:
            return None
        return compliance_rate(self.met, self.required_count)

    def to_dict(self) -> dict:
        """Serialise for JSON and the report renderers."""
        return {
            "key": self.key,
            "name": self.name,
            "students": self.students,
            "required_minutes": self.required_minutes,
            "confirmed_minutes": self.confirmed_minutes,
            "pending_minutes": self.pending_minutes,
            "required_count": self.required_count,
            "met": self.met,
            "at_risk": self.at_risk,
            "missed": self.missed,
            "unmatched": self.unmatched,
            "compliance_rate": self.compliance_rate,
        }


def subtree_student_ids(union: Union) -> Select:
    """Select the ids of the students registered in a union's subtree."""
    codes = select(Union.code).where(Union.path.startswith(union.path, autoescape=True))
    return select(Student.id).where(Student.union_code.in_(codes))


def union_groups(rows: Iterable[MonthRow], union: Union) -> list[GroupFigures]:
    """Group rows by the child union of `union` they belong to (its own students apart)."""
    children = db.session.scalars(
        select(Union).where(Union.parent_code == union.code).order_by(Union.code)
    ).all()
    groups = {c.code: GroupFigures(c.code, c.name) for c in children}
    own = GroupFigures(union.code, N_("%(name)s（本级）", name=union.name))
    depth = len(union.path)
    for row in rows:
        if not row.union_path.startswith(union.path):
            continue
        child = row.union_path[depth:].split("/", 1)[0]
        (groups.get(child) or own).add(row)
    out = list(groups.values())
    return [own, *out] if own.students else out


def enterprise_groups(rows: Iterable[MonthRow]) -> list[GroupFigures]:
    """Group rows by the enterprises of their agreements in the month (one name query)."""
    rows = list(rows)
    ids = {eid for row in rows for eid in row.enterprise_ids}
    if not ids:
        return []
    names = dict(
        db.session.execute(select(Enterprise.id, Enterprise.name).where(Enterprise.id.in_(ids)))
        .tuples()
        .all()
    )
    groups = {eid: GroupFigures(str(eid), names.get(eid, str(eid))) for eid in ids}
    for row in rows:
        # A student who switched enterprise mid-month counts under both.
        for eid in row.enterprise_ids:
            groups[eid].add(row)
    return sorted(groups.values(), key=lambda g: (g.name, g.key))


def _actor_union(actor: User) -> Union:
    union = scope.actor_union(actor)
    if union is None:
        from ..errors import Forbidden

        raise Forbidden()
    return union


def summary_by_union(
    actor: User, month: str, *, union_code: str | None = None, today: date | None = None
) -> list[GroupFigures]:
    """Per child union of the actor's union (or of `union_code` in scope): figures."""
    union = _actor_union(actor)
    if union_code is not None:
        union = scope.get_or_404(scope.unions(actor), Union, union_code)
    rows = compute_month_rows(month, subtree_student_ids(union), today=today)
    return union_groups(rows, union)


def summary_by_enterprise(
    actor: User, month: str, *, union_code: str | None = None, today: date | None = None
) -> list[GroupFigures]:
    """Per enterprise that has students of the actor's subtree in the month: figures."""
    union = _actor_union(actor)
    if union_code is not None:
        union = scope.get_or_404(scope.unions(actor), Union, union_code)
    rows = compute_month_rows(month, subtree_student_ids(union), today=today)
    return enterprise_groups(rows)


def first_recorded_month(student_ids: Select) -> str | None:
    """Return the first month any of these students recorded an hour in, or None."""
    # ORDER BY … LIMIT 1 walks the (month, student_id) index from the start and stops at
    # the first match; min() made PostgreSQL read every month row of the students.
    return db.session.scalar(
        select(SessionMonth.month)
        .where(SessionMonth.student_id.in_(student_ids))
        .order_by(SessionMonth.month)
        .limit(1)
    )


def rate_history(
    student_ids_select: Select,
    months: int = 12,
    today: date | None = None,
    *,
    last_month: str | None = None,
    known: dict[str, list[MonthRow]] | None = None,
) -> list[tuple[str, float | None]]:
    """Return [(YYYY-MM, rate or None)] for `months` months ending with `last_month`
    (default: this month). Stored figures of closed months are counted in SQL; only
    open months, and students a close did not store, are computed (bounded queries).
    `known` passes rows already computed for some months (e.g. the dashboard's)."""
    today = today or clock.today()
    wanted = chart_months(months, last_month or month_of(today))
    known = {m: rows for m, rows in (known or {}).items() if m in wanted}
    tally = {m: [0, 0] for m in wanted}  # month → [met, required]
    for month, rows in known.items():
        _count(tally[month], rows)
    live, closed = _live_and_closed([m for m in wanted if m not in known], student_ids_select)
    for month, rows in compute_rows_by_month(live, student_ids_select, today=today).items():
        _count(tally[month], rows)
    if closed:
        _count_stored(tally, closed, student_ids_select, today)
    # Before the first hour anyone recorded, the programme had not begun here: no rate,
    # rather than a row of 0% that reads as failure.
    first = first_recorded_month(student_ids_select)
    return [
        (m, met / required if required and first is not None and m >= first else None)
        for m, (met, required) in tally.items()
    ]


def live_history_months(
    student_ids_select: Select, months: int = 12, *, last_month: str
) -> list[str]:
    """Return the months of rate_history's chart whose rows it would compute live (not
    closed, reached by an agreement): a caller that computes them anyway (the dashboard)
    loads them with its own month in one pass and passes them as `known`."""
    return _live_and_closed(chart_months(months, last_month), student_ids_select)[0]


def chart_months(months: int, last_month: str) -> list[str]:
    """Return the `months` months of a chart ending with `last_month`, oldest first."""
    return [add_months(last_month, -n) for n in range(months - 1, -1, -1)]


def _live_and_closed(todo: list[str], ids: Select) -> tuple[list[str], list[str]]:
    closes = load_closes(todo)
    live = _with_agreements([m for m in todo if m not in closes], ids)
    return live, [m for m in todo if m in closes]


def _with_agreements(months: list[str], ids: Select) -> list[str]:
    """Keep the months that some agreement of the students reaches: in the others nobody
    owes hours (no rate), e.g. the months of a 12-month chart before the programme began."""
    if not months:
        return []
    first, last = db.session.execute(
        select(func.min(Agreement.starts_on), func.max(Agreement.ends_on)).where(
            Agreement.student_id.in_(ids)
        )
    ).one()
    if first is None:
        return []
    return [m for m in months if month_of(first) <= m <= month_of(last)]


def _count(counter: list[int], rows: Iterable[MonthRow], skip_stored: bool = False) -> None:
    for row in rows:
        if row.required_minutes > 0 and not (skip_stored and row.stored):
            counter[1] += 1
            counter[0] += row.status == "met"


# Above this many ids a subquery is cheaper than a list of bound parameters.
MAX_LISTED_IDS = 5000


def _count_stored(tally: dict, closed: list[str], ids: Select, today: date) -> None:
    """Count closed months: stored figures in one grouped query, the rest computed."""
    in_ids = MonthFigure.student_id.in_(ids)
    required = MonthFigure.required_minutes > 0
    rows = db.session.execute(
        select(
            MonthFigure.month,
            func.count().filter(required, MonthFigure.status == "met"),
            func.count().filter(required),
        )
        .where(in_ids, MonthFigure.month.in_(closed))
        .group_by(MonthFigure.month)
    )
    for month, met, req in rows:
        tally[month][0] += met
        tally[month][1] += req
    # Students without a stored figure in some closed month (not under a closing union,
    # or registered after the close) are computed; their stored months are skipped.
    complete = (
        select(MonthFigure.student_id)
        .where(MonthFigure.month.in_(closed))
        .group_by(MonthFigure.student_id)
        .having(func.count() == len(closed))
    )
    rest = select(Student.id).where(Student.id.in_(ids), Student.id.not_in(complete))
    # Asked once (it reads every stored figure of those months); usually few or none,
    # then handed on as a list instead of a subquery each read would evaluate again.
    rest_ids = db.session.scalars(rest).all()
    if not rest_ids:
        return
    if len(rest_ids) <= MAX_LISTED_IDS:
        rest = select(Student.id).where(Student.id.in_(rest_ids))
    for month, rows in compute_rows_by_month(closed, rest, today=today).items():
        _count(tally[month], rows, skip_stored=True)
