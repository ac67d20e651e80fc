"""An enterprise's monthly report (R23): its rows, JSON and the audited downloads."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, distinct, func, or_, select

from .. import audit, clock
from ..agreements.models import Agreement
from ..auth import scope
from ..auth.models import User
from ..calendar.rules import month_bounds, parse_month
from ..checkin.models import ServiceSession, SessionMonth
from ..checkin.sessions import close_stale
from ..enterprises.models import Enterprise
from ..errors import N_, ValidationError
from ..extensions import db
from ..periods.locks import attestation_of
from ..students.models import Student
from ..unions.models import Union
from ..unions.services import union_path
from . import figures, renderers
from .documents import EnterpriseReport, ReportRow
from .downloads import Download
from .rules import agreement_label

COUNTED = ("confirmed", "pending")
RENDERERS = {
    "csv": renderers.enterprise_report_csv,
    "xlsx": renderers.enterprise_report_xlsx,
    "pdf": renderers.enterprise_report_pdf,
}


def checked_month(month: object, today: date) -> str:
    """Return a valid YYYY-MM month that is not in the future, else 400 on `month`."""
    month = parse_month(month)
    if month > f"{today.year:04d}-{today.month:02d}":
        raise ValidationError.field("month", N_("不能选择未来的月份。"))
    return month


def report_enterprise(actor: User, enterprise_id: object) -> Enterprise:
    """Load an enterprise whose reports the actor may read (404 outside scope)."""
    return scope.get_or_404(scope.report_enterprises(actor), Enterprise, enterprise_id)


def placed_in_month(month: str, enterprise_id: int | None = None) -> ColumnElement[bool]:
    """Filter on Agreement: signed and overlapping the month, or carrying hours in it."""
    first, last = month_bounds(month)
    signed = or_(
        and_(Agreement.student_signed_at.is_not(None), Agreement.enterprise_signed_at.is_not(None)),
        Agreement.paper_signed_on.is_not(None),
    )
    # Terminated before the month, or cancelled before it began: it holds no days.
    live = or_(
        Agreement.terminated_on.is_(None),
        and_(Agreement.terminated_on > first, Agreement.terminated_on > Agreement.starts_on),
    )
    overlapping = and_(signed, live, Agreement.starts_on <= last, Agreement.ends_on >= first)
    served = select(SessionMonth.agreement_id).where(SessionMonth.month == month)
    if enterprise_id is not None:
        served = served.where(SessionMonth.enterprise_id == enterprise_id)
    return or_(overlapping, Agreement.id.in_(served))


def _agreements(actor: User, enterprise_id: int, month: str) -> list[tuple[Agreement, Student]]:
    stmt = (
        select(Agreement, Student)
        .join(Student, Student.id == Agreement.student_id)
        .where(Agreement.enterprise_id == enterprise_id, scope.agreement_filter(actor))
        .where(placed_in_month(month, enterprise_id))
        .order_by(Agreement.starts_on, Agreement.id)
    )
    return [(agreement, student) for agreement, student in db.session.execute(stmt)]


def _minutes(enterprise_id: int, month: str) -> dict[int, dict[str, int]]:
    """Return per student: confirmed and pending minutes and sessions at the enterprise."""
    stmt = (
        select(
            SessionMonth.student_id,
            SessionMonth.status,
            func.coalesce(func.sum(SessionMonth.minutes), 0),
            func.count(distinct(SessionMonth.session_id)),
        )
        .where(
            SessionMonth.enterprise_id == enterprise_id,
            SessionMonth.month == month,
            SessionMonth.status.in_(COUNTED),
        )
        .group_by(SessionMonth.student_id, SessionMonth.status)
    )
    out: dict[int, dict[str, int]] = defaultdict(lambda: {"confirmed": 0, "pending": 0, "n": 0})
    for student_id, status, minutes, sessions in db.session.execute(stmt):
        out[student_id][status] += int(minutes)
        out[student_id]["n"] += int(sessions)
    return out


def _flags(enterprise_id: int, month: str) -> dict[int, list[str]]:
    """Return per student the flags of their sessions at the enterprise in the month."""
    in_month = select(SessionMonth.session_id).where(
        SessionMonth.enterprise_id == enterprise_id, SessionMonth.month == month
    )
    stmt = (
        select(ServiceSession.student_id, ServiceSession.flags)
        .where(ServiceSession.id.in_(in_month), ServiceSession.flags != "")
        .where(ServiceSession.status != "rejected")
        .order_by(ServiceSession.check_in_at)
    )
    out: dict[int, list[str]] = defaultdict(list)
    for student_id, flags in db.session.execute(stmt):
        out[student_id] += [flag for flag in flags.split(",") if flag]
    return out


def _rows(actor: User, enterprise_id: int, month: str, today: date) -> list[ReportRow]:
    pairs = _agreements(actor, enterprise_id, month)
    students: dict[int, Student] = {}
    labels: dict[int, list[str]] = defaultdict(list)
    for agreement, student in pairs:
        students[student.id] = student
        labels[student.id].append(
            agreement_label(agreement.kind, agreement.starts_on, agreement.last_day)
        )
    if not students:
        return []
    ids = select(Student.id).where(Student.id.in_(list(students)))
    month_rows = figures.month_rows(month, ids, today)
    minutes, flags = _minutes(enterprise_id, month), _flags(enterprise_id, month)
    rows = []
    for sid, student in sorted(students.items(), key=lambda item: (item[1].name, item[0])):
        figure, served = month_rows.get(sid), minutes.get(sid, {})
        rows.append(
            ReportRow(
                student_name=student.name,
                university=student.university,
                agreement_label="；".join(dict.fromkeys(labels[sid])),
                sessions=served.get("n", 0),
                confirmed_minutes=served.get("confirmed", 0),
                pending_minutes=served.get("pending", 0),
                required_minutes=figure.required_minutes if figure else 0,
                status=figure.status if figure else "not_required",
                flags=flags.get(sid, []),
                student_id=sid,
            )
        )
    return rows


def build_enterprise_report(
    actor: User, enterprise_id: object, month: object, *, now: datetime | None = None
) -> EnterpriseReport:
    """Return an enterprise's report for a month, rows limited to what the actor may see."""
    enterprise = report_enterprise(actor, enterprise_id)
    return _report(actor, enterprise, month, now or clock.now())


def _report(actor: User, enterprise: Enterprise, month: object, now: datetime) -> EnterpriseReport:
    today = clock.to_local(now).date()
    month = checked_month(month, today)
    # R13 first (no commit): a session left open past the cap shows as auto-closed.
    close_stale(
        now, within=select(ServiceSession).where(ServiceSession.enterprise_id == enterprise.id)
    )
    union_name = db.session.scalar(select(Union.name).where(Union.code == enterprise.union_code))
    attestation = attestation_of(enterprise.id, month)
    return EnterpriseReport(
        enterprise_name=enterprise.name,
        credit_code=enterprise.credit_code,
        union_name=union_name or enterprise.union_code,
        month=month,
        rows=_rows(actor, enterprise.id, month, today),
        generated_at=now,
        attested_at=attestation.attested_at if attestation else None,
        attested_by=attestation.signer_name if attestation else None,
        stale_since=attestation.stale_since if attestation else None,
    )


def _audit_paths(actor: User, enterprise: Enterprise) -> dict[str, str | None]:
    # Both the enterprise's union and a downloading union of the student side can read it.
    mine = union_path(actor.union_code) if actor.role == "union_staff" else None
    return {"union_path": union_path(enterprise.union_code), "other_union_path": mine}


def download_enterprise_report(
    actor: User, enterprise_id: object, month: object, fmt: str, *, now: datetime | None = None
) -> Download:
    """Render the report as csv, xlsx or pdf and audit the download; commits."""
    enterprise = report_enterprise(actor, enterprise_id)
    if fmt not in RENDERERS:
        raise ValidationError.field("format", N_("格式应为 csv、xlsx 或 pdf。"))
    report = _report(actor, enterprise, month, now or clock.now())
    data = RENDERERS[fmt](report)
    audit.record(
        actor,
        "downloaded",
        "report",
        f"enterprise:{enterprise.id}:{report.month}",
        after={
            "kind": "enterprise",
            "enterprise_id": enterprise.id,
            "month": report.month,
            "format": fmt,
            "rows": len(report.rows),
        },
        **_audit_paths(actor, enterprise),
    )
    db.session.commit()
    return Download(
        data=data,
        filename=f"{enterprise.name}-{report.month}-服务时长月报.{fmt}",
        ascii_filename=f"enterprise-{enterprise.id}-{report.month}.{fmt}",
        fmt=fmt,
    )


def report_to_dict(enterprise_id: int, report: EnterpriseReport) -> dict:
    """Serialise an enterprise report for the API (minutes, like every duration)."""
    return {
        "enterprise_id": enterprise_id,
        "enterprise_name": report.enterprise_name,
        "month": report.month,
        "items": [
            {
                "student_id": row.student_id,
                "student_name": row.student_name,
                "university": row.university,
                "agreement": row.agreement_label,
                "sessions": row.sessions,
                "confirmed_minutes": row.confirmed_minutes,
                "pending_minutes": row.pending_minutes,
                "required_minutes": row.required_minutes,
                "status": row.status,
                "flags": list(dict.fromkeys(row.flags)),
            }
            for row in report.rows
        ],
        "totals": {
            "students": len(report.rows),
            "sessions": report.total_sessions,
            "confirmed_minutes": report.total_confirmed_minutes,
            "pending_minutes": report.total_pending_minutes,
            "required_minutes": report.total_required_minutes,
        },
        "attested_at": clock.to_local(report.attested_at).isoformat()
        if report.attested_at
        else None,
        "attested_by": report.attested_by,
        "attestation_status": report.attestation_status,
        "stale_since": clock.to_local(report.stale_since).isoformat()
        if report.stale_since
        else None,
    }


def report_enterprise_choices(actor: User, limit: int = 500) -> list[Enterprise]:
    """Return the enterprises whose reports the actor may read, by name."""
    stmt = scope.report_enterprises(actor).order_by(Enterprise.name, Enterprise.id).limit(limit)
    return list(db.session.scalars(stmt))
