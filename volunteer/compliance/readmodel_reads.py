"""Reads of a union's subtree from the read model: grouped counts, pages of rows sorted in
SQL, and the rate history. Each is a fixed number of statements over one index range of
(month, union_path), so a city's read follows the city, not the province.

Students without a row in the month (no agreement reaching it, no minutes, no exemption)
are "not required" with zero figures: the counts take them from the students table.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import Select, and_, case, collate, func, or_, select

from .. import clock
from ..agreements.models import Agreement
from ..calendar.rules import month_bounds
from ..enterprises.models import Enterprise
from ..errors import N_
from ..extensions import db
from ..students.models import Student
from ..unions.models import Union
from .groups import GroupFigures, first_recorded_month
from .loading import load_closes
from .models import StudentMonthFigure as F
from .monthrows import MonthRow
from .readmodel import path_range
from .readmodel_rows import RowList
from .readmodel_sql import Today, met_sql, needed_sql, status_sql
from .rules import STATUSES, compliance_rate, pace_minutes_per_day

# The dashboard's short lists: read together, this many rows of each.
HEAD_STATUSES = ("missed", "at_risk")
HEAD_ROWS = 20
# Up to this many students, has_agreement is asked by id; above, by the page's query.
MAX_LISTED = 1000
SEVERITY = (
    "missed",
    "at_risk",
    "on_track",
    "awaiting_confirmation",
    "met",
    "exempt",
    "not_required",
)


def enabled() -> bool:
    """Tell whether reads use the read model (COMPLIANCE_READ_MODEL, on by default)."""
    return bool(current_app.config.get("COMPLIANCE_READ_MODEL", True))


def _subtree_codes(union: Union) -> Select:
    return select(Union.code).where(Union.path.startswith(union.path, autoescape=True))


# has_agreement (loading._load_students): an agreement not cancelled before it began.
_NOT_CANCELLED = or_(
    Agreement.terminated_on.is_(None), Agreement.terminated_on > Agreement.starts_on
)


def _matched():
    return select(Agreement.id).where(Agreement.student_id == Student.id, _NOT_CANCELLED).exists()


def _by_name(column):
    # Code point order, as Python sorts the names (PostgreSQL's locale would not).
    if db.session.get_bind().dialect.name == "postgresql":
        return collate(column, "C")
    return column


class _Tally:
    """Counts of a month read by status: a group's figures without its rows."""

    def __init__(self) -> None:
        self.rows: dict[tuple, list[int]] = {}

    def add(self, key: tuple, values: Sequence[int]) -> None:
        found = self.rows.setdefault(key, [0] * len(values))
        for i, v in enumerate(values):
            found[i] += int(v or 0)


def _add_to_group(
    group: GroupFigures, status: str, n: int, req: int, conf: int, pend: int, nreq: int
) -> None:
    group.students += n
    group.required_minutes += req
    group.confirmed_minutes += conf
    group.pending_minutes += pend
    group.required_count += nreq
    group.met += n if status == "met" else 0
    group.at_risk += n if status == "at_risk" else 0
    group.missed += n if status == "missed" else 0


class SubtreeMonth:
    """One month of a union's subtree, read from the table."""

    def __init__(self, union: Union, month: str, today: date):
        self.union, self.month, self.t = union, month, Today.of(month, today)
        # Students registered after the month ended were not in the programme that month
        # (monthrows.registered_after): the first instant of the next local day.
        last = month_bounds(month)[1]
        tz = clock.business_tz()
        self.cutoff = datetime(last.year, last.month, last.day, tzinfo=tz) + timedelta(days=1)
        self.status = status_sql(self.t)
        self._grouped: list | None = None
        self._counts: list | None = None
        self._students: list | None = None
        self._heads: dict[str, list[MonthRow]] | None = None

    def _where(self):
        return (F.month == self.month, *path_range(self.union.path))

    # --- grouped counts -------------------------------------------------------------

    def grouped(self) -> list[tuple]:
        """(union_code, enterprise_ids, status, rows, required, confirmed, pending, rows
        required): one scan of the month's range feeds the summary and both groupings."""
        if self._grouped is None:
            self._grouped = db.session.execute(
                select(
                    F.union_code,
                    F.enterprise_ids,
                    self.status,
                    func.count(),
                    func.sum(F.required_minutes),
                    func.sum(F.confirmed_minutes),
                    func.sum(F.pending_minutes),
                    func.count().filter(F.required_minutes > 0),
                )
                .where(*self._where())
                .group_by(F.union_code, F.enterprise_ids, self.status)
            ).all()
        return self._grouped

    def counts(self) -> list[tuple]:
        """(union_code, status, rows, required, confirmed, pending, rows required)."""
        if self._counts is None:
            tally = _Tally()
            for code, _eids, status, *values in self.grouped():
                tally.add((code, status), values)
            self._counts = [(*key, *values) for key, values in tally.rows.items()]
        return self._counts

    def students(self) -> list[tuple]:
        """(union_code, students, unmatched) for every union of the subtree."""
        if self._students is None:
            # One join with the matched students (not a subquery per student).
            matched = select(Agreement.student_id).where(_NOT_CANCELLED).distinct().subquery()
            self._students = db.session.execute(
                select(
                    Student.union_code,
                    func.count(),
                    func.count().filter(matched.c.student_id.is_(None)),
                )
                .join(matched, matched.c.student_id == Student.id, isouter=True)
                .where(
                    Student.union_code.in_(_subtree_codes(self.union)),
                    Student.created_at < self.cutoff,
                )
                .group_by(Student.union_code)
            ).all()
        return self._students

    def summary(self) -> dict:
        """monthrows.summary() of every student of the subtree."""
        counts = {status: 0 for status in STATUSES}
        required = rows = 0
        for _code, status, n, _req, _conf, _pend, nreq in self.counts():
            counts[status] += n
            required += nreq
            rows += n
        total = sum(n for _code, n, _u in self.students())
        unmatched = sum(u for _code, _n, u in self.students())
        counts["not_required"] += total - rows
        return {
            **counts,
            "compliance_rate": compliance_rate(counts["met"], required),
            "unmatched": unmatched,
            "total": total,
            "required_count": required,
        }

    def union_groups(self) -> list[GroupFigures]:
        """groups.union_groups(): per child union (the union's own students apart)."""
        children = db.session.scalars(
            select(Union).where(Union.parent_code == self.union.code).order_by(Union.code)
        ).all()
        groups = {c.code: GroupFigures(c.code, c.name) for c in children}
        own = GroupFigures(self.union.code, N_("%(name)s（本级）", name=self.union.name))
        paths = dict(
            db.session.execute(
                select(Union.code, Union.path).where(
                    Union.path.startswith(self.union.path, autoescape=True)
                )
            ).all()
        )
        depth = len(self.union.path)

        def group_of(code: str) -> GroupFigures:
            child = paths.get(code, "")[depth:].split("/", 1)[0]
            return groups.get(child) or own

        stored: dict[str, int] = defaultdict(int)
        for code, status, n, req, conf, pend, nreq in self.counts():
            _add_to_group(group_of(code), status, n, req or 0, conf or 0, pend or 0, nreq)
            stored[code] += n
        for code, n, unmatched in self.students():
            group = group_of(code)
            # Students without a row: not required, nothing served.
            group.students += n - stored.get(code, 0)
            group.unmatched += unmatched
        out = list(groups.values())
        return [own, *out] if own.students else out

    def enterprise_groups(self) -> list[GroupFigures]:
        """groups.enterprise_groups(): per enterprise of the month's signed agreements."""
        tally = _Tally()
        for _code, eids, status, *values in self.grouped():
            if eids:
                tally.add((eids, status), values)
        ids = {int(e) for key, _status in tally.rows for e in key.split(",")}
        if not ids:
            return []
        names = dict(
            db.session.execute(select(Enterprise.id, Enterprise.name).where(Enterprise.id.in_(ids)))
            .tuples()
            .all()
        )
        groups = {eid: GroupFigures(str(eid), names.get(eid, str(eid))) for eid in ids}
        for (key, status), (n, req, conf, pend, nreq) in tally.rows.items():
            # A student who switched enterprise mid-month counts under both.
            for eid in key.split(","):
                _add_to_group(groups[int(eid)], status, n, req, conf, pend, nreq)
        return sorted(groups.values(), key=lambda g: (g.name, g.key))

    # --- rows -----------------------------------------------------------------------

    def _rows_stmt(self, status: str | None, unmatched: bool) -> Select:
        joined = and_(F.student_id == Student.id, F.month == self.month)
        # Only "not required" has students without a row: the other statuses join inner.
        outer = status in (None, "not_required")
        stmt = (
            select(Student.id)
            .join(F, joined, isouter=outer)
            .where(
                Student.union_code.in_(_subtree_codes(self.union)),
                Student.created_at < self.cutoff,
            )
        )
        if status is not None:
            stmt = stmt.where(self.status == status)
        if unmatched:
            stmt = stmt.where(~_matched())
        return stmt

    def _columns(self) -> list:
        return [
            Student.id,
            Student.name,
            Student.union_code,
            Student.phone,
            Union.path,
            F.gross_minutes,
            F.required_minutes,
            F.confirmed_minutes,
            F.pending_minutes,
            F.exempt_minutes,
            F.closed,
            F.enterprise_ids,
            F.days_left,
            self.status.label("status"),
        ]

    def count(self, status: str | None = None, unmatched: bool = False) -> int:
        stmt = self._rows_stmt(status, unmatched)
        return db.session.scalar(select(func.count()).select_from(stmt.subquery()))

    def rows(
        self,
        *,
        status: str | None = None,
        unmatched: bool = False,
        order: str = "severity",
        offset: int = 0,
        limit: int | None = None,
    ) -> list[MonthRow]:
        """A page of month rows, sorted in SQL: "severity" (reads.by_severity), "name"
        (the unmatched list) or "id" (the API)."""
        stmt = self._rows_stmt(status, unmatched).with_only_columns(*self._columns())
        stmt = stmt.join(Union, Union.code == Student.union_code)
        name = _by_name(Student.name)
        if order == "severity":
            rank = {s: i for i, s in enumerate(SEVERITY)}
            stmt = stmt.order_by(
                case(rank, value=self.status, else_=99),
                func.coalesce(needed_sql(), 0).desc(),
                name,
                Student.id,
            )
        elif order == "name":
            stmt = stmt.order_by(name, Student.id)
        else:
            stmt = stmt.order_by(Student.id)
        if offset:
            stmt = stmt.offset(offset)
        if limit is not None:
            stmt = stmt.limit(limit)
        return self._made(db.session.execute(stmt).all(), matched=False if unmatched else None)

    def _made(self, rows: list, matched: bool | None = None) -> list[MonthRow]:
        """MonthRows of fetched rows; has_agreement asked for these students only (a
        subquery in the select list would read every agreement for a page of 50)."""
        closes = load_closes([self.month]).get(self.month, set())
        if matched is None and rows:
            ids = [r[0] for r in rows]
            if len(ids) <= MAX_LISTED:
                where = Agreement.student_id.in_(ids)
            else:
                where = Agreement.student_id.in_(self._rows_stmt(None, False))
            found = set(
                db.session.scalars(select(Agreement.student_id).where(where, _NOT_CANCELLED))
            )
            return [self._row(r, closes, r[0] in found) for r in rows]
        return [self._row(r, closes, bool(matched)) for r in rows]

    def heads(self) -> dict[str, list[MonthRow]]:
        """The first HEAD_ROWS rows of each of HEAD_STATUSES, worst first: the
        dashboard's two short lists in one scan (a window per status)."""
        if self._heads is None:
            sub = self._heads_stmt().subquery()
            stmt = select(*[c for c in sub.c if c.name != "rank"]).where(sub.c.rank <= HEAD_ROWS)
            stmt = stmt.order_by(sub.c.status, sub.c.rank)
            self._heads = {s: [] for s in HEAD_STATUSES}
            for row in self._made(db.session.execute(stmt).all()):
                self._heads[row.status].append(row)
        return self._heads

    def _heads_stmt(self) -> Select:
        rank = func.row_number().over(
            partition_by=self.status,
            order_by=[needed_sql().desc(), _by_name(Student.name), Student.id],
        )
        joined = and_(F.student_id == Student.id, F.month == self.month)
        return (
            select(*self._columns(), rank.label("rank"))
            .select_from(Student)
            .join(F, joined)
            .join(Union, Union.code == Student.union_code)
            .where(
                Student.union_code.in_(_subtree_codes(self.union)),
                Student.created_at < self.cutoff,
                self.status.in_(HEAD_STATUSES),
            )
        )

    def _row(self, r, closes: set[str], matched: bool) -> MonthRow:
        sid, name, code, phone, path = r[:5]
        gross, required, confirmed, pending, exempt, closed, eids, profile, status = r[5:]
        if gross is None:  # no row: nothing required, nothing served
            gross = required = confirmed = pending = exempt = 0
            closed = any(c in closes for c in path.strip("/").split("/"))
            eids, profile = "", ""
        closed = bool(closed)
        days_left = self.t.days_left_of(profile, closed)
        needed = max(0, required - confirmed - pending)
        return MonthRow(
            sid,
            name,
            code,
            phone,
            self.month,
            gross,
            required,
            confirmed,
            pending,
            exempt,
            status,
            days_left,
            needed,
            pace_minutes_per_day(needed, days_left),
            matched,
            path,
            closed,
            False,
            tuple(int(e) for e in eids.split(",")) if eids else (),
        )

    def lazy(
        self,
        *,
        status: str | None = None,
        unmatched: bool = False,
        order: str = "severity",
        total: int | None = None,
    ) -> RowList:
        """A sequence of rows fetched a page at a time (len() from `total` or a count)."""

        def fetch(offset: int, limit: int | None) -> list[MonthRow]:
            if (
                status in HEAD_STATUSES
                and not unmatched
                and order == "severity"
                and offset == 0
                and limit is not None
                and limit <= HEAD_ROWS
            ):
                return self.heads()[status][:limit]
            return self.rows(
                status=status, unmatched=unmatched, order=order, offset=offset, limit=limit
            )

        return RowList(
            fetch,
            (lambda: total) if total is not None else (lambda: self.count(status, unmatched)),
        )


def rate_history(union: Union, wanted: list[str]) -> list[tuple[str, float | None]]:
    """Return [(YYYY-MM, met ÷ required or None)] for the months of a union's subtree."""
    tally = {m: (0, 0) for m in wanted}
    rows = db.session.execute(
        select(F.month, func.count().filter(met_sql()), func.count().filter(F.required_minutes > 0))
        .where(F.month.in_(wanted), *path_range(union.path))
        .group_by(F.month)
    )
    for month, met, required in rows:
        tally[month] = (met, required)
    # As groups.rate_history: before the first hour anyone here recorded, no rate.
    students = select(Student.id).where(Student.union_code.in_(_subtree_codes(union)))
    first = first_recorded_month(students)
    return [
        (m, met / required if required and first is not None and m >= first else None)
        for m, (met, required) in tally.items()
    ]
