"""National-system export (R40): a union's month of confirmed volunteer hours, one row per
student and enterprise, marked when exported and `changed` when its figures move later."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, func, select

from .. import audit, clock
from ..agreements.models import Agreement
from ..auth import scope
from ..auth.models import User
from ..calendar.rules import month_bounds, parse_month
from ..checkin.models import ServiceSession, SessionMonth
from ..enterprises.models import Enterprise
from ..errors import N_, Conflict, Forbidden, ValidationError
from ..extensions import db
from ..reports.downloads import Download
from ..reports.rules import is_month_over, service_content
from ..students.models import Student
from ..students.services import id_cipher
from ..unions.models import Union
from . import export_sheet, rules
from .models import ExportMark

Key = tuple[int, int, str]  # (student_id, enterprise_id, month)
Figures = tuple[int, date | None, date | None]  # (minutes, first_day, last_day)


@dataclass
class ExportRow:
    """One line of the national sheet, with its status against the last export."""

    student_id: int
    enterprise_id: int
    month: str
    student_name: str
    volunteer_number: str | None
    service_content: str
    enterprise_name: str
    minutes: int
    first_day: date
    last_day: date
    status: str = "new"
    id_cipher: tuple[str, str] | None = None

    @property
    def figures(self) -> Figures:
        """Return what the national system is told: minutes and the first and last day."""
        return (self.minutes, self.first_day, self.last_day)

    @property
    def hours(self) -> float:
        """Return the hours to one decimal."""
        return rules.hours_one_decimal(self.minutes)


def _clip(value: datetime | None, month: str, fallback: date) -> date:
    first, last = month_bounds(month)
    day = clock.to_local(value).date() if value is not None else fallback
    return min(max(day, first), last)


def _figures_stmt(where: ColumnElement[bool]):
    """Confirmed volunteer minutes per student, enterprise and month, with the first and
    last session times and the agreements' service content — one grouped query."""
    return (
        select(
            SessionMonth.student_id,
            SessionMonth.enterprise_id,
            SessionMonth.month,
            func.sum(SessionMonth.minutes).label("minutes"),
            func.min(ServiceSession.check_in_at).label("first_at"),
            func.max(func.coalesce(ServiceSession.check_out_at, ServiceSession.check_in_at)).label(
                "last_at"
            ),
            func.max(Agreement.service_content).label("content"),
        )
        .join(Agreement, Agreement.id == SessionMonth.agreement_id)
        .join(ServiceSession, ServiceSession.id == SessionMonth.session_id)
        .where(where, SessionMonth.status == "confirmed", Agreement.kind == "volunteer")
        .group_by(SessionMonth.student_id, SessionMonth.enterprise_id, SessionMonth.month)
        .having(func.sum(SessionMonth.minutes) > 0)
    )


def current_figures(student_id: int, months: Iterable[str]) -> dict[Key, Figures]:
    """Return a student's current export figures in some months (for the receiver)."""
    stmt = _figures_stmt(
        (SessionMonth.student_id == student_id) & SessionMonth.month.in_(sorted(months))
    )
    out: dict[Key, Figures] = {}
    for sid, eid, month, minutes, first_at, last_at, _content in db.session.execute(stmt):
        first = _clip(first_at, month, month_bounds(month)[0])
        out[(sid, eid, month)] = (int(minutes), first, _clip(last_at, month, first))
    return out


def mark_changed(student_id: int, months: set[str], now: datetime | None = None) -> int:
    """Mark `changed` the exported rows of a student whose figures moved (no commit)."""
    if not months:
        return 0
    marks = db.session.scalars(
        select(ExportMark).where(
            ExportMark.student_id == student_id,
            ExportMark.month.in_(sorted(months)),
            ExportMark.status == "exported",
        )
    ).all()
    if not marks:
        return 0
    db.session.flush()  # the sender's change must be visible to the figures' query
    figures = current_figures(student_id, {m.month for m in marks})
    now = now or clock.now()
    changed = 0
    for mark in marks:
        now_figures = figures.get(
            (mark.student_id, mark.enterprise_id, mark.month), (0, None, None)
        )
        if now_figures != (mark.minutes, mark.first_day, mark.last_day):
            mark.status, mark.changed_at = "changed", now
            changed += 1
    return changed


# --- the union's sheet ----------------------------------------------------------------


def export_union(actor: User, code: str) -> Union:
    """Return a union in the actor's scope (403 for other roles, 404 outside scope)."""
    if actor.role != "union_staff":
        raise Forbidden()
    return scope.get_or_404(scope.unions(actor), Union, code)


def _checked_month(month: object) -> str:
    try:
        month = parse_month(month)
    except ValidationError:
        raise ValidationError.field("month", N_("月份格式应为 YYYY-MM。")) from None
    if not is_month_over(month, clock.today()):
        raise Conflict("month_not_over", N_("该月尚未结束，不能导出。"))
    return month


def month_rows(union: Union, month: str) -> list[ExportRow]:
    """Return the union subtree's rows of a month, each with its status (three queries)."""
    subtree = select(Union.code).where(Union.path.startswith(union.path, autoescape=True))
    in_union = select(Student.id).where(Student.union_code.in_(subtree))
    stmt = (
        _figures_stmt((SessionMonth.month == month) & SessionMonth.student_id.in_(in_union))
        .add_columns(
            Student.name.label("student_name"),
            Student.volunteer_number,
            Student.id_number_cipher,
            Student.id_key_id,
            Enterprise.name.label("enterprise_name"),
            Enterprise.industry,
        )
        .join(Student, Student.id == SessionMonth.student_id)
        .join(Enterprise, Enterprise.id == SessionMonth.enterprise_id)
        .group_by(Student.id, Enterprise.id)
        .order_by(Student.name, Student.id, Enterprise.name)
    )
    marks = {
        (m.student_id, m.enterprise_id): (m.status, m.minutes, m.first_day, m.last_day)
        for m in db.session.scalars(
            select(ExportMark).where(ExportMark.union_code == union.code, ExportMark.month == month)
        )
    }
    rows = []
    for r in db.session.execute(stmt):
        first = _clip(r.first_at, month, month_bounds(month)[0])
        row = ExportRow(
            student_id=r.student_id,
            enterprise_id=r.enterprise_id,
            month=month,
            minutes=int(r.minutes),
            first_day=first,
            last_day=_clip(r.last_at, month, first),
            service_content=r.content or service_content("volunteer", r.industry),
            student_name=r.student_name,
            volunteer_number=r.volunteer_number,
            id_cipher=(r.id_number_cipher, r.id_key_id),
            enterprise_name=r.enterprise_name,
        )
        row.status = rules.row_status(row.figures, marks.get((row.student_id, row.enterprise_id)))
        rows.append(row)
    return rows


def _mark_exported(union: Union, month: str, rows: list[ExportRow], now: datetime) -> None:
    marks = {
        (m.student_id, m.enterprise_id): m
        for m in db.session.scalars(
            select(ExportMark).where(ExportMark.union_code == union.code, ExportMark.month == month)
        )
    }
    seen = set()
    for row in rows:
        mark = marks.get((row.student_id, row.enterprise_id))
        seen.add((row.student_id, row.enterprise_id))
        if mark is None:
            mark = ExportMark(
                union_code=union.code,
                month=month,
                student_id=row.student_id,
                enterprise_id=row.enterprise_id,
            )
            db.session.add(mark)
        mark.minutes, mark.first_day, mark.last_day = row.figures
        mark.status, mark.exported_at, mark.changed_at = "exported", now, None
    for key, mark in marks.items():
        if key not in seen:  # its minutes are gone: reported once as changed, now settled
            mark.minutes, mark.first_day, mark.last_day = 0, None, None
            mark.status, mark.exported_at, mark.changed_at = "exported", now, None


def download_export(actor: User, code: str, month: object, now: datetime | None = None) -> Download:
    """Render a union's national sheet for a month that is over, mark its rows exported and
    audit the download (full ID numbers); commits."""
    union = export_union(actor, code)
    month = _checked_month(month)
    now = now or clock.now()
    rows = month_rows(union, month)
    cipher = id_cipher()
    id_numbers = [cipher.decrypt(*row.id_cipher) for row in rows]  # type: ignore[misc]
    data = export_sheet.render_sheet(union.name, rows, id_numbers)
    counts = {status: sum(r.status == status for r in rows) for status in rules.ROW_STATUS_WORDS}
    _mark_exported(union, month, rows, now)
    audit.record(
        actor,
        "downloaded",
        "export",
        f"{union.code}:{month}",
        after={"kind": "volunteer_records", "month": month, "rows": len(rows), **counts},
        union_path=union.path,
    )
    db.session.commit()
    return Download(
        data=data,
        filename=f"全国志愿服务信息系统导入-{union.name}-{month}.xlsx",
        ascii_filename=f"volunteer-records-{union.code}-{month}.xlsx",
        fmt="xlsx",
    )


@dataclass
class ChangedRow:
    """A row exported earlier whose figures have changed since."""

    month: str
    student_name: str
    enterprise_name: str
    exported_minutes: int
    exported_at: datetime
    changed_at: datetime | None


def changed_since_export(actor: User, code: str, limit: int = 200) -> list[ChangedRow]:
    """Return the union's exported rows marked changed, newest change first (one query)."""
    union = export_union(actor, code)
    stmt = (
        select(ExportMark, Student.name, Enterprise.name)
        .join(Student, Student.id == ExportMark.student_id)
        .join(Enterprise, Enterprise.id == ExportMark.enterprise_id)
        .where(ExportMark.union_code == union.code, ExportMark.status == "changed")
        .order_by(ExportMark.changed_at.desc(), ExportMark.id)
        .limit(limit)
    )
    return [
        ChangedRow(m.month, sname, ename, m.minutes, m.exported_at, m.changed_at)
        for m, sname, ename in db.session.execute(stmt)
    ]


def exported_months(union: Union) -> dict[str, datetime]:
    """Return the months the union has exported, with the last export time."""
    stmt = (
        select(ExportMark.month, func.max(ExportMark.exported_at))
        .where(ExportMark.union_code == union.code)
        .group_by(ExportMark.month)
        .order_by(ExportMark.month.desc())
    )
    return {month: at for month, at in db.session.execute(stmt)}
