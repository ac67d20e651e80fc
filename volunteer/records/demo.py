"""Demo records (R37–R39): union profiles and seals, volunteer numbers, agreement terms and
insurance (one agreement left uninsured), an evaluation, a training and an award.

Seeded before reports' demo, so that its certificate carries the seal and the new fields.
"""

from __future__ import annotations

import contextlib
from datetime import date

from sqlalchemy import select

from .. import clock
from ..agreements import changes
from ..agreements.models import Agreement
from ..auth.models import User
from ..calendar.rules import add_months
from ..checkin.models import ServiceSession
from ..checkin.sessions import with_flags
from ..enterprises.models import Enterprise
from ..errors import DomainError
from ..extensions import db
from ..students.models import Student
from ..unions import services as unions
from ..unions.models import Union
from ..unions.seal_image import seal_png
from . import services

LOGINS: list[tuple[str, str, str]] = []
PROFILES = {
    "SX": ("王建国", "029-87654321（省总工会权益保障部）"),
    "XA": ("刘志强", "029-86541234（西安市总工会办公室）"),
    "TC": ("赵卫东", "0919-3181234（铜川市总工会办公室）"),
}
TERMS = {
    "service_content": "协助企业开展社区公益服务、资料整理与客户接待等社会实践",
    "safety_measures": "上岗前安全培训；专人带班；不安排高空、夜间及危险岗位",
    "insurer": "中国人寿保险股份有限公司",
}


def _staff() -> dict[str, User]:
    users = db.session.scalars(select(User).where(User.role == "union_staff").order_by(User.id))
    staff: dict[str, User] = {}
    for user in users:
        staff.setdefault(user.union_code, user)
    return staff


def _profiles(staff: dict[str, User]) -> None:
    for code, (leader, contact) in PROFILES.items():
        actor = staff.get(code)
        union = db.session.get(Union, code)
        if actor is None or union is None:
            continue
        unions.update_profile(actor, code, leader_name=leader, contact=contact)
        unions.upload_seal(actor, code, seal_png(union.name))


def _volunteer_numbers() -> None:
    for student in db.session.scalars(select(Student).order_by(Student.id)):
        student.volunteer_number = f"SX{student.created_at:%Y}{student.id:06d}"
    db.session.commit()


def _terms(staff: dict[str, User]) -> Agreement | None:
    """Give every agreement terms and insurance but one volunteer agreement with sessions
    (so that the dashboard has uninsured sessions to count); return that one."""
    rows = db.session.execute(
        select(Agreement, Student.union_code)
        .join(Student, Student.id == Agreement.student_id)
        .order_by(Agreement.id)
    ).all()
    served = set(db.session.scalars(select(ServiceSession.agreement_id).distinct()))
    volunteer = [a for a, _code in rows if a.kind == "volunteer" and a.id in served]
    uninsured = volunteer[-1] if len(volunteer) > 1 else None
    for agreement, code in rows:
        actor = staff.get(code) or staff.get("SX")
        terms = dict(TERMS)
        if agreement is not uninsured:
            terms |= {
                "policy_number": f"PICC{agreement.starts_on:%Y}{agreement.id:06d}",
                "insured_from": agreement.starts_on,
                "insured_to": agreement.ends_on,
            }
        try:
            changes.update_terms(actor, agreement.id, **terms)
        except DomainError:
            continue
    if uninsured is not None:
        # Its sessions were scanned before the terms existed: flag them as a scan would.
        for session in db.session.scalars(
            select(ServiceSession).where(ServiceSession.agreement_id == uninsured.id)
        ):
            session.flags = with_flags(session.flags, "uninsured")
        db.session.commit()
    return uninsured


def _evaluation_and_records(staff: dict[str, User]) -> None:
    demo = db.session.scalars(
        select(Student)
        .join(User, User.student_id == Student.id)
        .where(User.username == "stu_demo1")
    ).first()
    if demo is None:
        return
    agreement = db.session.scalars(
        select(Agreement).where(Agreement.student_id == demo.id).order_by(Agreement.id)
    ).first()
    enterprise_staff = (
        db.session.scalars(
            select(User).where(User.enterprise_id == agreement.enterprise_id).order_by(User.id)
        ).first()
        if agreement
        else None
    )
    last_month = add_months(clock.current_month(), -1)
    if enterprise_staff is not None:
        # The agreement may not reach last month (a fresh demo term): then no evaluation.
        with contextlib.suppress(DomainError):
            services.evaluate(
                enterprise_staff,
                agreement.id,
                last_month,
                5,
                "守时认真，能主动承担任务，与同事配合良好。",
            )
    actor = staff.get(demo.union_code) or staff.get("SX")
    today = clock.today()
    services.add_record(
        actor,
        demo.id,
        kind="training",
        title="志愿服务通用知识与安全培训",
        on=date(today.year, today.month, 1),
        hours=3,
        issuer="西安市总工会",
    )
    services.add_record(
        actor, demo.id, kind="award", title="金秋助学优秀志愿者", on=today, issuer="陕西省总工会"
    )


def seed() -> None:
    """Fill the demo province's records."""
    if db.session.scalar(select(Enterprise.id).limit(1)) is None:
        return
    staff = _staff()
    _profiles(staff)
    _volunteer_numbers()
    _terms(staff)
    _evaluation_and_records(staff)
