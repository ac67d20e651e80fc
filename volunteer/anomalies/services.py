"""Anomaly queue use cases (R42): list and count in scope, read one, resolve it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, func, select

from .. import audit, clock
from ..auth import scope
from ..auth.models import User
from ..checkin import decisions
from ..checkin.models import ServiceSession
from ..database import lock_rows
from ..enterprises.models import Enterprise
from ..errors import N_, Conflict, Forbidden, ValidationError
from ..extensions import db
from ..students.models import Student
from ..unions.models import Union
from . import rules
from .models import KINDS, STATUSES, Anomaly, AnomalyStudent

STAFF = ("union_staff", "enterprise_staff")


def _staff(actor: User) -> None:
    if actor.role not in STAFF:
        raise Forbidden()


def list_anomalies(
    actor: User,
    *,
    union_code: str | None = None,
    enterprise_id: int | None = None,
    status: str | None = None,
    kind: str | None = None,
) -> Select:
    """Select the anomalies in the actor's scope with filters, newest first."""
    _staff(actor)
    stmt = scope.anomalies(actor)
    if status:
        if status not in STATUSES:
            raise ValidationError.field("status", N_("状态应为 open、dismissed 或 confirmed。"))
        stmt = stmt.where(Anomaly.status == status)
    if kind:
        if kind not in KINDS:
            raise ValidationError.field("kind", N_("未知的异常类型。"))
        stmt = stmt.where(Anomaly.kind == kind)
    if enterprise_id is not None:
        stmt = stmt.where(Anomaly.enterprise_id == enterprise_id)
    if union_code:
        path = db.session.scalar(select(Union.path).where(Union.code == union_code))
        if path is None or not scope.union_path_in_scope(actor, path):
            raise ValidationError.field("union_code", N_("不在你的管理范围内。"))
        students = (
            select(AnomalyStudent.anomaly_id)
            .join(Student, Student.id == AnomalyStudent.student_id)
            .join(Union, Union.code == Student.union_code)
            .where(Union.path.startswith(path))
        )
        stmt = stmt.where(Anomaly.id.in_(students))
    return stmt.order_by(Anomaly.detected_at.desc(), Anomaly.id.desc())


def open_counts(actor: User) -> dict[str, int]:
    """Count the open anomalies in the actor's scope by kind (one grouped query)."""
    if actor.role not in STAFF:
        return {}
    ids = scope.anomalies(actor).where(Anomaly.status == "open").with_only_columns(Anomaly.id)
    rows = db.session.execute(
        select(Anomaly.kind, func.count()).where(Anomaly.id.in_(ids)).group_by(Anomaly.kind)
    )
    return {kind: n for kind, n in rows}


def get_anomaly(actor: User, anomaly_id: int) -> Anomaly:
    """Load one anomaly in the actor's scope (404 outside it)."""
    _staff(actor)
    return scope.get_or_404(scope.anomalies(actor), Anomaly, anomaly_id)


def names(anomalies: list[Anomaly]) -> dict[str, dict[int, str]]:
    """Return the names of the students and enterprises the anomalies name (2 queries)."""
    student_ids = {sid for a in anomalies for sid in a.student_ids}
    enterprise_ids = {a.enterprise_id for a in anomalies if a.enterprise_id}
    students = (
        dict(
            db.session.execute(
                select(Student.id, Student.name).where(Student.id.in_(student_ids))
            ).all()
        )
        if student_ids
        else {}
    )
    enterprises = (
        dict(
            db.session.execute(
                select(Enterprise.id, Enterprise.name).where(Enterprise.id.in_(enterprise_ids))
            ).all()
        )
        if enterprise_ids
        else {}
    )
    return {"students": students, "enterprises": enterprises}


def sessions_of(actor: User, anomaly: Anomaly) -> list[ServiceSession]:
    """Return the anomaly's sessions the actor may read, by check-in time."""
    ids = list(anomaly.session_ids or [])
    if not ids:
        return []
    return list(
        db.session.scalars(
            scope.sessions(actor)
            .where(ServiceSession.id.in_(ids))
            .order_by(ServiceSession.check_in_at)
        )
    )


def _paths(anomaly: Anomaly) -> dict[str, str | None]:
    student_path = None
    if anomaly.student_ids:
        student_path = db.session.scalar(
            select(Union.path)
            .join(Student, Student.union_code == Union.code)
            .where(Student.id == anomaly.student_ids[0])
        )
    enterprise_path = None
    if anomaly.enterprise_id:
        enterprise_path = db.session.scalar(
            select(Union.path)
            .join(Enterprise, Enterprise.union_code == Union.code)
            .where(Enterprise.id == anomaly.enterprise_id)
        )
    return {
        "union_path": student_path or enterprise_path,
        "other_union_path": enterprise_path,
    }


def resolve_anomaly(
    actor: User,
    anomaly_id: int,
    status: object,
    note: object,
    reject_sessions: object = False,
    now: datetime | None = None,
) -> Anomaly:
    """Dismiss or confirm an anomaly with a note; confirming may reject its sessions in
    the same step (through the sessions' own decision rules). Audited; commits once."""
    anomaly = get_anomaly(actor, anomaly_id)
    status, text = rules.clean_resolution(status, note)
    if not isinstance(reject_sessions, bool):
        raise ValidationError.field("reject_sessions", N_("应为 true 或 false。"))
    if reject_sessions and status != "confirmed":
        raise ValidationError.field("reject_sessions", N_("只有确认异常时才能同时驳回相关记录。"))
    now = now or clock.now()
    lock_rows(anomaly)
    db.session.refresh(anomaly)
    if anomaly.status != "open":
        raise Conflict("invalid_state", N_("该异常已处理。"))
    rejected = []
    if reject_sessions:
        # The sessions' own rules decide who may reject them (the enterprise in open
        # months, the student's union in closed or attested ones): any refusal undoes all.
        reason = "异常核实：" + text  # stored with the session, in the record's language
        for s in sessions_of(actor, anomaly):
            if s.status in ("pending", "confirmed", "auto_closed"):
                decisions.reject_uncommitted(actor, s.id, reason, now)
                rejected.append(s.id)
    before = {"status": anomaly.status}
    anomaly.status = status
    anomaly.note = text
    anomaly.resolved_at = now
    anomaly.resolved_by_id = actor.id
    anomaly.updated_at = now
    audit.record(
        actor,
        status,
        "anomaly",
        anomaly.id,
        before=before,
        after={"status": status, "note": text, "rejected_sessions": rejected},
        **_paths(anomaly),
    )
    db.session.commit()
    return anomaly
