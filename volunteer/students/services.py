"""Use cases for aided students: register, edit, search, reveal the ID number, aid records."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import Select, func, or_, select

from .. import audit, clock
from ..agreements.models import Agreement
from ..auth import scope
from ..auth import services as auth_services
from ..auth.models import User
from ..auth.passwords import check_policy
from ..enterprises.models import Enterprise
from ..errors import N_, Conflict, Forbidden, ValidationError
from ..extensions import db
from ..unions.models import Union
from ..unions.services import union_path
from . import bulk_import, rules
from .identity import IdCipher, mask_id_number
from .models import AidRecord, Student
from .serialize import audit_view

# The fields a union officer may set on a student's profile (rules.PROFILE_FIELDS).
EDITABLE = frozenset(rules.PROFILE_FIELDS)
MAX_QUERY_CHARS = 50


def id_cipher() -> IdCipher:
    """Return the app's ID-number cipher: ID_ENCRYPTION_KEY plus ID_ENCRYPTION_OLD_KEYS."""
    config = current_app.config
    old = config.get("ID_ENCRYPTION_OLD_KEYS") or ()
    if isinstance(old, str):
        old = [part.strip() for part in old.split(",")]
    keys = (config["ID_ENCRYPTION_KEY"], tuple(k for k in old if k))
    cached = current_app.extensions.get("volunteer.id_cipher")
    if cached is None or cached[0] != keys:
        # Key derivation is not free; build once per configuration, not per row.
        cached = (keys, IdCipher(keys[0], keys[1]))
        current_app.extensions["volunteer.id_cipher"] = cached
    return cached[1]


def with_user_ids(stmt: Select) -> Select:
    """Add each student's account id to a select of Student (one outer join, no per-row query)."""
    return stmt.add_columns(User.id).outerjoin(User, User.student_id == Student.id)


# --- shared checks -------------------------------------------------------------------


def _require_union_staff(actor: User) -> None:
    if actor is None or actor.role != "union_staff":
        raise Forbidden()


def _union_in_scope(actor: User, code: Any) -> Union:
    if not isinstance(code, str):
        raise ValidationError.field("union_code", N_("请选择所属工会"))
    return scope.get_or_404(scope.unions(actor), Union, code.strip())


def _refuse_duplicate_id(cipher: IdCipher, id_number: str, exclude: int | None = None) -> None:
    stmt = select(Student.id).where(Student.id_number_hash.in_(cipher.lookup_hashes(id_number)))
    if exclude is not None:
        stmt = stmt.where(Student.id != exclude)
    if db.session.scalars(stmt.limit(1)).first() is not None:
        message = N_("该身份证号已登记。")
        raise Conflict("duplicate", message, fields={"id_number": [message]})


def _refuse_duplicate_username(username: str) -> None:
    if db.session.scalars(select(User.id).where(User.username == username)).first():
        message = N_("用户名已存在。")
        raise Conflict("duplicate", message, fields={"username": [message]})


def _set_id_number(student: Student, cipher: IdCipher, id_number: str) -> None:
    student.id_number_cipher, student.id_key_id = cipher.encrypt(id_number)
    student.id_number_hash = cipher.lookup_hash(id_number)
    student.id_number_masked = mask_id_number(id_number)


# --- use cases -----------------------------------------------------------------------


def create_student(
    actor: User, *, username: str, password: str, now: datetime | None = None, **fields: Any
) -> Student:
    """Register a student with an account (initial password) in the actor's scope; commits."""
    _require_union_staff(actor)
    unknown = set(fields) - EDITABLE
    if unknown:
        raise TypeError(f"unknown student fields: {sorted(unknown)}")
    union = _union_in_scope(actor, fields.get("union_code"))
    now = now or clock.now()
    profile = rules.clean_profile({**fields, "union_code": union.code}, today=clock.today())
    username = auth_services.validate_username(username)
    check_policy(password, username)
    cipher = id_cipher()
    _refuse_duplicate_id(cipher, profile["id_number"])
    _refuse_duplicate_username(username)
    id_number = profile.pop("id_number")
    student = Student(**profile, created_at=now, updated_at=now)
    _set_id_number(student, cipher, id_number)
    db.session.add(student)
    db.session.flush()
    auth_services.new_user(
        actor,
        username=username,
        password=password,
        name=student.name,
        role="student",
        student_id=student.id,
        initial=True,
    )
    after = {**audit_view(student), "username": username}
    audit.record(actor, "created", "student", student.id, after=after, union_path=union.path)
    auth_services.commit_or_conflict()
    return student


def update_student(
    actor: User, student_id: int, *, now: datetime | None = None, **changes: Any
) -> Student:
    """Change a student's profile (ID number included); audited with masked values; commits."""
    _require_union_staff(actor)
    unknown = set(changes) - EDITABLE
    if unknown:
        raise TypeError(f"unknown student fields: {sorted(unknown)}")
    student = scope.get_or_404(scope.managed_students(actor), Student, student_id)
    if "union_code" in changes:
        changes["union_code"] = _union_in_scope(actor, changes["union_code"]).code
    clean = rules.clean_profile(changes, today=clock.today(), partial=True)
    if "university" in clean and not clean.get("university_city"):
        clean["university_city"] = rules.university_city(clean["university"])
    before = audit_view(student)
    cipher = id_cipher()
    id_number = clean.pop("id_number", None)
    if id_number is not None:
        _refuse_duplicate_id(cipher, id_number, exclude=student.id)
        _set_id_number(student, cipher, id_number)
    for field, value in clean.items():
        setattr(student, field, value)
    after = audit_view(student)
    changed = [k for k in after if after[k] != before[k]]
    if id_number is not None and "id_number_masked" not in changed:
        changed.append("id_number_masked")  # same mask, different number: still a change
    if not changed:
        return student
    student.updated_at = now or clock.now()
    if "name" in changed:
        for user in db.session.scalars(select(User).where(User.student_id == student.id)):
            user.name = student.name
    audit.record(
        actor,
        "updated",
        "student",
        student.id,
        before={k: before[k] for k in changed},
        after={k: after[k] for k in changed},
        union_path=union_path(student.union_code),
    )
    auth_services.commit_or_conflict()
    return student


@dataclass
class StudentPage:
    """One page of a student search: (student, account id) pairs and the total."""

    items: list[tuple[Student, int | None]]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """Return the number of pages (at least 1)."""
        return max(1, -(-self.total // self.per_page))


def _search_filter(q: str) -> Any:
    """Filter for a search text: part of a name or phone, the last digits or the whole of
    an ID number."""
    if len(q) > MAX_QUERY_CHARS:
        raise ValidationError.field("q", N_("搜索内容不能超过%(n)s个字", n=MAX_QUERY_CHARS))
    conditions = [Student.name.contains(q, autoescape=True)]
    digits = q.replace(" ", "")
    if digits.isascii() and digits.isdigit():
        conditions.append(Student.phone.contains(digits, autoescape=True))
    tail = digits.upper()
    if 1 <= len(tail) <= 4 and all(ch.isdigit() or ch == "X" for ch in tail):
        # The last four characters stay readable in the masked number: searchable as such.
        conditions.append(Student.id_number_masked.endswith(tail, autoescape=True))
    if len(digits) == 18:
        # A whole ID number is found through its keyed hash; parts of one cannot be.
        conditions.append(Student.id_number_hash.in_(id_cipher().lookup_hashes(digits)))
    return or_(*conditions)


def search_students(
    actor: User,
    *,
    q: str | None = None,
    union_code: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> StudentPage:
    """Return a page of the students the actor manages, newest first, filtered."""
    _require_union_staff(actor)
    stmt = scope.managed_students(actor)
    if union_code:
        union = _union_in_scope(actor, union_code)
        subtree = select(Union.code).where(Union.path.startswith(union.path, autoescape=True))
        stmt = stmt.where(Student.union_code.in_(subtree))
    q = (q or "").strip()
    if q:
        stmt = stmt.where(_search_filter(q))
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = db.session.execute(
        with_user_ids(stmt)
        .order_by(Student.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return StudentPage([(s, uid) for s, uid in rows], total or 0, page, per_page)


def get_managed(actor: User, student_id: int) -> Student:
    """Return a student the union officer manages (403 for other roles, 404 outside scope)."""
    _require_union_staff(actor)
    return scope.get_or_404(scope.managed_students(actor), Student, student_id)


def get_student(actor: User, student_id: int) -> tuple[Student, int | None]:
    """Return a student the actor may read (U in scope, E under agreement, S self) and its account id."""
    student = scope.get_or_404(scope.students(actor), Student, student_id)
    user_id = db.session.scalar(select(User.id).where(User.student_id == student.id))
    return student, user_id


@dataclass
class StudentDetail:
    """What the union's student page shows."""

    student: Student
    account: User | None
    agreements: list[tuple[Agreement, str, str]]  # (agreement, enterprise name, status)
    aid_records: list[AidRecord]
    union_name: str


def student_detail(actor: User, student_id: int) -> StudentDetail:
    """Return a managed student with account, agreements and aid records (a few queries)."""
    _require_union_staff(actor)
    student = scope.get_or_404(scope.managed_students(actor), Student, student_id)
    account = db.session.scalars(select(User).where(User.student_id == student.id)).first()
    today = clock.today()
    rows = db.session.execute(
        select(Agreement, Enterprise.name)
        .join(Enterprise, Enterprise.id == Agreement.enterprise_id)
        .where(Agreement.student_id == student.id)
        .order_by(Agreement.starts_on.desc())
    ).all()
    aid = db.session.scalars(
        select(AidRecord)
        .where(AidRecord.student_id == student.id)
        .order_by(AidRecord.year.desc(), AidRecord.id.desc())
    ).all()
    union_name = db.session.scalar(select(Union.name).where(Union.code == student.union_code))
    return StudentDetail(
        student=student,
        account=account,
        agreements=[(a, name, a.status_on(today)) for a, name in rows],
        aid_records=list(aid),
        union_name=union_name or student.union_code,
    )


def reveal_id_number(actor: User, student_id: int) -> str:
    """Return a managed student's full ID number to union staff; audited; commits."""
    _require_union_staff(actor)
    student = scope.get_or_404(scope.managed_students(actor), Student, student_id)
    cipher = id_cipher()
    plain = cipher.decrypt(student.id_number_cipher, student.id_key_id)
    if cipher.needs_reencryption(student.id_key_id):
        _set_id_number(student, cipher, plain)  # rotate keys lazily, as rows are read
    audit.record(
        actor,
        "id_revealed",
        "student",
        student.id,
        after={"id_number_masked": student.id_number_masked},
        union_path=union_path(student.union_code),
    )
    db.session.commit()
    return plain


def add_aid_record(
    actor: User,
    student_id: int,
    *,
    year: int,
    amount_yuan: int,
    category: str,
    note: str | None = None,
    now: datetime | None = None,
) -> AidRecord:
    """Record a 金秋助学 grant for a managed student; audited; commits."""
    _require_union_staff(actor)
    student = scope.get_or_404(scope.managed_students(actor), Student, student_id)
    clean = rules.clean_aid(year, amount_yuan, category, note, today=clock.today())
    record = AidRecord(student_id=student.id, created_at=now or clock.now(), **clean)
    db.session.add(record)
    db.session.flush()
    audit.record(
        actor,
        "aid_added",
        "student",
        student.id,
        after={"aid_record_id": record.id, **clean},
        union_path=union_path(student.union_code),
    )
    db.session.commit()
    return record


def managed_unions(actor: User) -> list[Union]:
    """Return the unions a union officer may register students in, by path."""
    _require_union_staff(actor)
    return list(db.session.scalars(scope.unions(actor).order_by(Union.path)))


def import_students(
    actor: User | None,
    filename: str,
    data: bytes,
    *,
    union_code: str | None = None,
    progress: Any = None,
    now: datetime | None = None,
) -> list[Student]:
    """Import a class list (R27): every row good, or nothing written; commits once.

    `actor` None is the CLI, which may name any union (or only `union_code`'s subtree).
    `progress(done, total)` is told as rows' passwords are hashed, the slow part of a large file.
    """
    unions = bulk_import.allowed_unions(actor, union_code)
    cipher = id_cipher()
    records = bulk_import.check_upload(filename, data, unions, cipher)
    return write_import(actor, filename, records, unions, progress=progress, now=now)


def write_import(
    actor: User | None,
    filename: str,
    records: list[dict[str, Any]],
    unions: dict[str, str],
    *,
    progress: Any = None,
    now: datetime | None = None,
) -> list[Student]:
    """Write checked import records (bulk_import.check_upload), audit the import; commits."""
    from . import bulk_import

    cipher = id_cipher()
    students = bulk_import.write_students(
        actor, records, unions, cipher, progress=progress, now=now
    )
    codes = sorted({s.union_code for s in students})
    if actor is not None:
        path = union_path(actor.union_code)
    else:  # the CLI: the entry belongs to the lowest union above every row's union
        common = os.path.commonprefix([unions[c] for c in codes])
        path = common[: common.rfind("/") + 1] or None
    after = {"filename": (filename or "")[:200], "created": len(students), "unions": codes}
    entity_id = f"import:{students[0].id}-{students[-1].id}"
    audit.record(actor, "imported", "student", entity_id, after=after, union_path=path)
    auth_services.commit_or_conflict()
    return students
