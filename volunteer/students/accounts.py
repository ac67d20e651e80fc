"""Students' accounts in bulk: the one-time list of logins after an import, and new
initial passwords for selected students (each reset audited, one commit)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select

from .. import audit
from ..auth import scope
from ..auth.models import User
from ..auth.services import set_initial_password
from ..errors import N_, Forbidden, ValidationError
from ..extensions import db
from ..unions.models import Union
from .models import Student

MAX_BULK_RESET = 100
# No look-alikes (0/O, 1/l/I): the list is read off paper and typed on a phone.
_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@dataclass
class InitialLogin:
    """What a student needs to log in the first time."""

    student_id: int
    name: str
    union_code: str
    username: str
    password: str


def initial_password() -> str:
    """Return a random initial password of 10 unambiguous letters and digits."""
    while True:
        word = "".join(secrets.choice(_ALPHABET) for _ in range(10))
        if any(c.isdigit() for c in word) and any(c.isalpha() for c in word):
            return word


def reset_student_passwords(actor: User, student_ids: list[int]) -> list[InitialLogin]:
    """Give each selected student (in the actor's scope) a new initial password."""
    if actor.role != "union_staff":
        raise Forbidden()
    wanted = sorted({i for i in student_ids if isinstance(i, int)})
    if not wanted:
        raise ValidationError.field("ids", N_("请先勾选学生。"))
    if len(wanted) > MAX_BULK_RESET:
        raise ValidationError.field(
            "ids", N_("一次最多重置 %(n)s 名学生的密码。", n=MAX_BULK_RESET)
        )
    managed = scope.managed_students(actor).with_only_columns(Student.id)
    rows = db.session.execute(
        select(Student, User, Union.path)
        .join(User, User.student_id == Student.id)
        .join(Union, Union.code == Student.union_code)
        .where(Student.id.in_(wanted), Student.id.in_(managed))
        .order_by(Student.name, Student.id)
    ).all()
    if len(rows) != len(wanted):
        raise ValidationError.field("ids", N_("所选学生中有不在您管辖范围内或没有账号的。"))
    out = []
    for student, user, path in rows:
        password = initial_password()
        set_initial_password(user, password)
        audit.record(actor, "password_reset", "user", user.id, union_path=path)
        out.append(
            InitialLogin(student.id, student.name, student.union_code, user.username, password)
        )
    db.session.commit()
    return out


def logins_of(students: list[Student], passwords: dict[int, str]) -> list[InitialLogin]:
    """The one-time list after an import: each new student's username and password."""
    users = dict(
        db.session.execute(
            select(User.student_id, User.username).where(
                User.student_id.in_([s.id for s in students])
            )
        ).all()
    )
    return [
        InitialLogin(s.id, s.name, s.union_code, users.get(s.id, ""), passwords.get(s.id, ""))
        for s in students
    ]
