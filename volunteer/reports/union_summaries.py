"""A union's monthly summary (R24): per child union and per enterprise, with 12 months' rates."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, select

from .. import audit, clock
from ..auth import scope
from ..auth.models import User
from ..errors import N_, ValidationError
from ..extensions import db
from ..students.models import Student
from ..unions.models import Union
from . import figures, renderers
from .documents import UnionSummary, UnionSummaryRow
from .downloads import Download
from .enterprise_reports import checked_month

HISTORY_MONTHS = 12
RENDERERS = {"csv": renderers.union_summary_csv, "xlsx": renderers.union_summary_xlsx}


def summary_union(actor: User, union_code: object) -> Union:
    """Load a union in the actor's subtree (404 outside it)."""
    return scope.get_or_404(scope.unions(actor), Union, union_code)


def subtree_students(union: Union) -> Select:
    """Select the ids of the students registered in a union's subtree."""
    codes = select(Union.code).where(Union.path.startswith(union.path, autoescape=True))
    return select(Student.id).where(Student.union_code.in_(codes))


def _summary_row(kind: str, group: figures.GroupFigures) -> UnionSummaryRow:
    return UnionSummaryRow(
        kind=kind,
        code_or_id=group.key,
        name=group.name,
        students=group.students,
        required_minutes=group.required_minutes,
        confirmed_minutes=group.confirmed_minutes,
        met=group.met,
        at_risk=group.at_risk,
        missed=group.missed,
        compliance_rate=group.compliance_rate,
    )


def build_union_summary(
    actor: User, union_code: object, month: object, *, now: datetime | None = None
) -> UnionSummary:
    """Return a union's summary for a month: child unions, enterprises, 12-month rates."""
    now = now or clock.now()
    union = summary_union(actor, union_code)
    today = clock.to_local(now).date()
    month = checked_month(month, today)
    students = subtree_students(union)
    if figures.read_model_enabled():
        # Grouped counts of the read model: a fixed number of statements, no row per student.
        unions, enterprises = figures.table_groups(union, month, today)
        history = figures.table_history(union, month, HISTORY_MONTHS)
    else:
        rows = figures.month_row_list(month, students, today)
        unions, enterprises = figures.groups(rows, union)
        history = figures.rate_history(students, month, today, HISTORY_MONTHS, known={month: rows})
    return UnionSummary(
        union_name=union.name,
        union_code=union.code,
        month=month,
        rows=[_summary_row("union", g) for g in unions]
        + [_summary_row("enterprise", g) for g in enterprises],
        generated_at=now,
        history=history,
    )


def download_union_summary(
    actor: User, union_code: object, month: object, fmt: str, *, now: datetime | None = None
) -> Download:
    """Render the union summary as csv or xlsx and audit the download; commits."""
    union = summary_union(actor, union_code)
    if fmt not in RENDERERS:
        raise ValidationError.field("format", N_("格式应为 csv 或 xlsx。"))
    summary = build_union_summary(actor, union.code, month, now=now)
    audit.record(
        actor,
        "downloaded",
        "report",
        f"union:{union.code}:{summary.month}",
        after={"kind": "union", "union_code": union.code, "month": summary.month, "format": fmt},
        union_path=union.path,
    )
    db.session.commit()
    return Download(
        data=RENDERERS[fmt](summary),
        filename=f"{union.name}-{summary.month}-达标汇总.{fmt}",
        ascii_filename=f"union-{union.code}-{summary.month}.{fmt}",
        fmt=fmt,
    )


def summary_to_dict(summary: UnionSummary) -> dict:
    """Serialise a union summary for the API."""

    def row(item: UnionSummaryRow) -> dict:
        return {
            "kind": item.kind,
            "key": item.code_or_id,
            "name": item.name,
            "students": item.students,
            "required_minutes": item.required_minutes,
            "confirmed_minutes": item.confirmed_minutes,
            "met": item.met,
            "at_risk": item.at_risk,
            "missed": item.missed,
            "compliance_rate": item.compliance_rate,
        }

    return {
        "union_code": summary.union_code,
        "union_name": summary.union_name,
        "month": summary.month,
        "unions": [row(item) for item in summary.union_rows],
        "enterprises": [row(item) for item in summary.enterprise_rows],
        "history": [{"month": m, "compliance_rate": rate} for m, rate in summary.history],
    }
