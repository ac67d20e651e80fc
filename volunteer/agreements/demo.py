"""Demo agreements for `flask seed-demo`: every state, most of them active today."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import zip_longest

from sqlalchemy import select

from .. import clock
from ..auth.models import User
from ..enterprises.models import Enterprise, Site
from ..errors import Conflict
from ..extensions import db
from ..students.models import Student
from . import changes, services

LOGINS: list[tuple[str, str, str]] = []
# Demo students that must be able to check in today, any day of the week (allow_workdays).
# stu_demo1 serves where no site has coordinates, so phone demos work on plain http.
DEMO_STUDENTS = ("stu_demo1", "stu_demo2")


def _month_start(day: date, shift: int) -> date:
    index = day.year * 12 + day.month - 1 + shift
    return date(index // 12, index % 12 + 1, 1)


def _month_end(day: date, shift: int) -> date:
    return _month_start(day, shift + 1) - timedelta(days=1)


class _Seeder:
    def __init__(self, today: date) -> None:
        self.today = today
        self.start = _month_start(today, -2)  # this academic term began two months ago
        self.end = _month_end(today, 7)
        self.signed_on = min(today, self.start - timedelta(days=3))
        self.users = {
            u.student_id: u
            for u in db.session.scalars(select(User).where(User.student_id.is_not(None)))
        }
        self.ent_users = {
            u.enterprise_id: u
            for u in db.session.scalars(
                select(User).where(User.role == "enterprise_staff").order_by(User.id.desc())
            )
        }
        self.staff = {
            u.union_code: u
            for u in db.session.scalars(
                select(User).where(User.role == "union_staff").order_by(User.id.desc())
            )
        }

    def actor_for(self, student: Student) -> User:
        return self.staff.get(student.union_code) or self.staff.get("SX")

    def create(self, student: Student, enterprise: Enterprise, start: date, end: date, **kw):
        return services.create_agreement(
            self.actor_for(student),
            student_id=student.id,
            enterprise_id=enterprise.id,
            starts_on=start,
            ends_on=end,
            **kw,
        )

    def active(self, student: Student, choices: list[Enterprise], **kw) -> bool:
        """Give the student an agreement running today at the first enterprise with room."""
        for enterprise in choices:
            try:
                self.create(
                    student, enterprise, self.start, self.end, signed_on=self.signed_on, **kw
                )
            except Conflict:
                continue
            return True
        return False


def _uncoordinated_first(enterprises: list[Enterprise]) -> list[Enterprise]:
    """Order enterprises so that those whose sites all lack coordinates come first."""
    located = set(db.session.scalars(select(Site.enterprise_id).where(Site.latitude.is_not(None))))
    return sorted(enterprises, key=lambda e: (e.id in located, e.id))


def seed() -> None:
    """Create agreements for the demo students (nothing when there are none)."""
    students = list(db.session.scalars(select(Student).order_by(Student.id)))
    enterprises = list(db.session.scalars(select(Enterprise).order_by(Enterprise.id)))
    if not students or not enterprises:
        return
    s = _Seeder(clock.today())
    by_city = {
        code: [e for e in enterprises if e.union_code == code] or enterprises
        for code in {st.union_code for st in students}
    }
    demo_ids = {u.student_id: u.username for u in s.users.values() if u.username in DEMO_STUDENTS}
    others = [st for st in students if st.id not in demo_ids]
    for student in students:
        if demo_ids.get(student.id) == "stu_demo1":
            s.active(student, _uncoordinated_first(enterprises), allow_workdays=True)
        elif demo_ids.get(student.id) == "stu_demo2":
            _digitally_signed(s, student, by_city[student.union_code])
    groups: dict[str, list[Student]] = {}
    for student in others:
        groups.setdefault(student.union_code, []).append(student)
    # One student per city is left unmatched, for the matching page to find.
    unmatched = {group[-1].id for group in groups.values() if len(group) > 3}
    # Alternate the cities so that each has pending, scheduled and terminated agreements.
    ordered = [st for tier in zip_longest(*groups.values()) for st in tier if st is not None]
    in_states = ordered[:6]
    serving = [st for st in others if st not in in_states and st.id not in unmatched]
    _other_states(s, in_states, by_city)
    for index, student in enumerate(serving):
        choices = by_city[student.union_code]
        # Rotate the starting enterprise so that every enterprise has students today.
        shift = index % len(choices)
        s.active(student, choices[shift:] + choices[:shift])
    _ended(s, serving[1::7][:3], by_city)


def _digitally_signed(s: _Seeder, student: Student, choices: list[Enterprise]) -> None:
    """stu_demo2: an agreement both sides signed online, then a summer internship to sign."""
    located = [
        e
        for e in choices
        if db.session.scalar(
            select(Site.id).where(Site.enterprise_id == e.id, Site.latitude.is_not(None)).limit(1)
        )
    ]
    for enterprise in located + choices:
        try:
            agreement = s.create(student, enterprise, s.start, s.end, allow_workdays=True)
        except Conflict:
            continue
        services.sign_agreement(s.users[student.id], agreement.id)
        services.sign_agreement(s.ent_users[enterprise.id], agreement.id)
        try:
            summer = s.create(
                student,
                choices[-1],
                s.end + timedelta(days=1),
                _month_end(s.end, 2),
                kind="internship",
                monthly_hours=40,
            )
        except Conflict:
            return
        if choices[-1].id in s.ent_users:
            services.sign_agreement(s.ent_users[choices[-1].id], summer.id)
        return


def _other_states(s: _Seeder, others: list[Student], by_city: dict) -> None:
    """Pending, scheduled and terminated agreements among the given students."""
    next_month, later = _month_start(s.today, 1), _month_end(s.today, 6)
    for index, student in enumerate(others):
        choices = by_city[student.union_code]
        enterprise = choices[index % len(choices)]
        if index < 2:  # pending: nobody signed, or only the student
            agreement = s.create(student, enterprise, next_month, later)
            if index == 1 and student.id in s.users:
                services.sign_agreement(s.users[student.id], agreement.id)
        elif index < 4:  # scheduled: a paper agreement signed today for next month
            s.create(student, enterprise, next_month, later, signed_on=s.today)
        else:  # terminated a fortnight ago after a month and a half of service
            agreement = s.create(student, enterprise, s.start, s.end, signed_on=s.signed_on)
            reason = "学生课程调整，无法按时服务" if index == 4 else "学生因病休学"
            changes.terminate_agreement(
                s.actor_for(student),
                agreement.id,
                reason,
                max(s.start, s.today - timedelta(days=14)),
            )


def _ended(s: _Seeder, students: list[Student], by_city: dict) -> None:
    """Last academic year's agreements of a few students serving again now."""
    last_start, last_end = _month_start(s.today, -12), s.start - timedelta(days=1)
    for student in students:
        choices = by_city[student.union_code]
        for enterprise in choices:
            try:
                s.create(student, enterprise, last_start, last_end, signed_on=last_start)
            except Conflict:
                continue
            break
