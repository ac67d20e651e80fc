"""Use cases of a student's record (R38): evaluations, trainings and awards, the record page."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import and_, func, select

from .. import audit, clock
from ..agreements.models import Agreement
from ..auth import scope
from ..auth.models import User
from ..auth.services import commit_or_conflict
from ..calendar.rules import month_bounds, parse_month
from ..checkin.models import SessionMonth
from ..enterprises.models import Enterprise
from ..errors import N_, Conflict, Forbidden, ValidationError
from ..extensions import db
from ..students.models import Student
from ..unions.models import Union
from ..unions.services import union_path
from . import rules
from .models import Evaluation, StudentRecord


def _paths(student_id: int, enterprise_id: int | None = None) -> dict[str, str | None]:
    student_code = db.session.scalar(select(Student.union_code).where(Student.id == student_id))
    out = {"union_path": union_path(student_code)}
    if enterprise_id is not None:
        code = db.session.scalar(
            select(Enterprise.union_code).where(Enterprise.id == enterprise_id)
        )
        out["other_union_path"] = union_path(code)
    return out


# --- evaluations ----------------------------------------------------------------------


def _evaluation_month(agreement: Agreement, month: object, today: date) -> str:
    """Return a month the agreement covers that has begun, or 400 on `month`."""
    try:
        month = parse_month(month)
    except ValidationError:
        raise ValidationError.field("month", N_("月份格式应为 YYYY-MM。")) from None
    first, last = month_bounds(month)
    if first > today:
        raise ValidationError.field("month", N_("不能评价尚未开始的月份。"))
    if agreement.starts_on > last or agreement.last_day < first:
        raise ValidationError.field("month", N_("协议在该月没有生效，不能评价。"))
    return month


def evaluable_agreement(actor: User, agreement_id: object) -> Agreement:
    """Return an agreement of the actor's enterprise (403 for other roles, else 404)."""
    if actor.role != "enterprise_staff":
        raise Forbidden()
    return scope.get_or_404(scope.agreements(actor), Agreement, agreement_id)


def evaluate(
    actor: User,
    agreement_id: int,
    month: object,
    rating: object,
    comment: object = None,
    *,
    now: datetime | None = None,
) -> Evaluation:
    """Record the enterprise's evaluation of its student for an agreement and month: one
    each (409 duplicate); audited; commits."""
    agreement = evaluable_agreement(actor, agreement_id)
    now = now or clock.now()
    month = _evaluation_month(agreement, month, clock.to_local(now).date())
    rating, comment = rules.clean_evaluation(rating, comment)
    exists = db.session.scalar(
        select(Evaluation.id).where(
            Evaluation.agreement_id == agreement.id, Evaluation.month == month
        )
    )
    if exists is not None:
        message = N_("该学生本月已评价，不能重复评价。")
        raise Conflict("duplicate", message, fields={"month": [message]})
    evaluation = Evaluation(
        agreement_id=agreement.id,
        student_id=agreement.student_id,
        enterprise_id=agreement.enterprise_id,
        month=month,
        rating=rating,
        comment=comment,
        created_by_id=actor.id,
        created_at=now,
    )
    db.session.add(evaluation)
    db.session.flush()
    audit.record(
        actor,
        "created",
        "evaluation",
        evaluation.id,
        after=evaluation.to_dict(),
        **_paths(agreement.student_id, agreement.enterprise_id),
    )
    commit_or_conflict()  # a concurrent twin loses on the unique constraint: 409 duplicate
    return evaluation


def _record_student(actor: User, student_id: object) -> Student:
    """Load a student whose record the actor reads: the student's union or the student."""
    if actor.role == "student":
        return scope.get_or_404(scope.students(actor), Student, student_id)
    if actor.role == "union_staff":
        return scope.get_or_404(scope.managed_students(actor), Student, student_id)
    raise Forbidden()


def student_evaluations(actor: User, student_id: object) -> list[Evaluation]:
    """Return a student's evaluations, newest month first: the student's union and the
    student see all, an enterprise only those it wrote (of students it hosts)."""
    if actor.role == "enterprise_staff":
        student = scope.get_or_404(scope.students(actor), Student, student_id)
        mine = Evaluation.enterprise_id == actor.enterprise_id
    else:
        student = _record_student(actor, student_id)
        mine = True
    stmt = (
        select(Evaluation)
        .where(Evaluation.student_id == student.id, mine)
        .order_by(Evaluation.month.desc(), Evaluation.id.desc())
    )
    return list(db.session.scalars(stmt))


@dataclass
class HostedStudent:
    """A student the enterprise hosts in a month, with the evaluation it gave, if any."""

    agreement: Agreement
    student_name: str
    university: str
    confirmed_minutes: int
    evaluation: Evaluation | None


def hosted_students(actor: User, month: str) -> list[HostedStudent]:
    """Return the students the actor's enterprise hosts in a month with its evaluations
    and their confirmed minutes there (one query)."""
    if actor.role != "enterprise_staff":
        raise Forbidden()
    first, last = month_bounds(month)
    minutes = (
        select(func.coalesce(func.sum(SessionMonth.minutes), 0))
        .where(
            SessionMonth.agreement_id == Agreement.id,
            SessionMonth.month == month,
            SessionMonth.status == "confirmed",
        )
        .scalar_subquery()
    )
    stmt = (
        select(Agreement, Student.name, Student.university, minutes, Evaluation)
        .join(Student, Student.id == Agreement.student_id)
        .outerjoin(
            Evaluation, and_(Evaluation.agreement_id == Agreement.id, Evaluation.month == month)
        )
        .where(
            Agreement.enterprise_id == actor.enterprise_id,
            Agreement.starts_on <= last,
            Agreement.ends_on >= first,
        )
        .order_by(Student.name, Agreement.id)
    )
    out = []
    for agreement, name, university, confirmed, evaluation in db.session.execute(stmt):
        # A termination's end is checked here: date arithmetic differs between databases.
        if agreement.last_day < first or agreement.status_on(last) == "pending":
            continue
        out.append(HostedStudent(agreement, name, university, int(confirmed), evaluation))
    return out


# --- trainings and awards --------------------------------------------------------------


def add_record(
    actor: User,
    student_id: object,
    *,
    kind: object,
    title: object,
    on: object,
    hours: object = None,
    issuer: object = None,
    now: datetime | None = None,
) -> StudentRecord:
    """Record a training or an award of a student the union manages; audited; commits."""
    if actor.role != "union_staff":
        raise Forbidden()
    student = scope.get_or_404(scope.managed_students(actor), Student, student_id)
    now = now or clock.now()
    clean = rules.clean_record(kind, title, on, hours, issuer, today=clock.to_local(now).date())
    record = StudentRecord(student_id=student.id, created_by_id=actor.id, created_at=now, **clean)
    db.session.add(record)
    db.session.flush()
    audit.record(
        actor, "created", "record", record.id, after=record.to_dict(), **_paths(student.id)
    )
    db.session.commit()
    return record


def student_records(actor: User, student_id: object) -> list[StudentRecord]:
    """Return a student's trainings and awards, newest first (the union and the student)."""
    student = _record_student(actor, student_id)
    stmt = (
        select(StudentRecord)
        .where(StudentRecord.student_id == student.id)
        .order_by(StudentRecord.happened_on.desc(), StudentRecord.id.desc())
    )
    return list(db.session.scalars(stmt))


# --- the record page -------------------------------------------------------------------


@dataclass
class MonthLine:
    """A month of the record: confirmed volunteer and internship minutes, kept apart."""

    month: str
    volunteer_minutes: int = 0
    internship_minutes: int = 0


@dataclass
class StudentRecordPage:
    """Everything the record page shows (a handful of queries, none per row)."""

    student: Student
    union_name: str
    evaluations: list[tuple[Evaluation, str]]
    trainings: list[StudentRecord]
    awards: list[StudentRecord]
    agreements: list[tuple[Agreement, str, str]]
    months: list[MonthLine] = field(default_factory=list)

    @property
    def volunteer_minutes(self) -> int:
        """Return the confirmed volunteer minutes of every month."""
        return sum(m.volunteer_minutes for m in self.months)

    @property
    def internship_minutes(self) -> int:
        """Return the confirmed internship minutes of every month."""
        return sum(m.internship_minutes for m in self.months)


def _months(student_id: int) -> list[MonthLine]:
    stmt = (
        select(SessionMonth.month, Agreement.kind, func.sum(SessionMonth.minutes))
        .join(Agreement, Agreement.id == SessionMonth.agreement_id)
        .where(SessionMonth.student_id == student_id, SessionMonth.status == "confirmed")
        .group_by(SessionMonth.month, Agreement.kind)
        .order_by(SessionMonth.month.desc())
    )
    lines: dict[str, MonthLine] = {}
    for month, kind, minutes in db.session.execute(stmt):
        line = lines.setdefault(month, MonthLine(month))
        if kind == "internship":
            line.internship_minutes += int(minutes or 0)
        else:
            line.volunteer_minutes += int(minutes or 0)
    return list(lines.values())


def record_page(actor: User, student_id: object) -> StudentRecordPage:
    """Return a student's whole record for the student or the student's union."""
    student = _record_student(actor, student_id)
    evaluations = db.session.execute(
        select(Evaluation, Enterprise.name)
        .join(Enterprise, Enterprise.id == Evaluation.enterprise_id)
        .where(Evaluation.student_id == student.id)
        .order_by(Evaluation.month.desc(), Evaluation.id.desc())
    ).all()
    records = student_records(actor, student.id)
    today = clock.today()
    agreements = db.session.execute(
        select(Agreement, Enterprise.name)
        .join(Enterprise, Enterprise.id == Agreement.enterprise_id)
        .where(Agreement.student_id == student.id)
        .order_by(Agreement.starts_on.desc())
    ).all()
    union_name = db.session.scalar(select(Union.name).where(Union.code == student.union_code))
    return StudentRecordPage(
        student=student,
        union_name=union_name or student.union_code,
        evaluations=[(e, name) for e, name in evaluations],
        trainings=[r for r in records if r.kind == "training"],
        awards=[r for r in records if r.kind == "award"],
        agreements=[(a, name, a.status_on(today)) for a, name in agreements],
        months=_months(student.id),
    )
