"""Bulk import of students (R27): all rows checked, then all written in one transaction."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from functools import partial
from typing import Any

from flask import current_app
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from .. import audit, clock
from ..auth import scope
from ..auth.models import User
from ..auth.passwords import check_policy
from ..errors import N_, Forbidden, NotFound, ValidationError
from ..extensions import db
from ..unions.models import Union
from . import importing, rules
from .identity import IdCipher, mask_id_number, normalize_id_number
from .models import Student
from .serialize import audit_view

# progress(done, total): rows whose passwords are hashed so far, of all rows.
Progress = Callable[[int, int], Any]
# Bound parameters per IN (...) query: well under SQLite's and PostgreSQL's limits.
CHUNK = 500
MAX_HASH_WORKERS = 8
_FIELD_ORDER = {c.field: i for i, c in enumerate(importing.COLUMNS)}


def allowed_unions(actor: User | None, union_code: str | None) -> dict[str, str]:
    """Return {code: path} of the unions rows may name: the actor's subtree (CLI: any)."""
    if actor is not None:
        if actor.role != "union_staff":
            raise Forbidden()
        stmt = select(Union.code, Union.path).where(scope.in_subtree(actor, Union.code))
        root = scope.get_or_404(scope.unions(actor), Union, union_code) if union_code else None
    else:
        stmt = select(Union.code, Union.path)
        root = db.session.get(Union, union_code) if union_code else None
        if union_code and root is None:
            raise NotFound("not_found", N_("工会 %(code)s 不存在。", code=union_code))
    if root is not None:
        stmt = stmt.where(Union.path.startswith(root.path, autoescape=True))
    return dict(db.session.execute(stmt).tuples().all())


def _chunks(values: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _existing(column: Any, values: Iterable[str]) -> set[str]:
    """Return which of `values` already exist in `column`, with one query per CHUNK values."""
    found: set[str] = set()
    for chunk in _chunks(sorted(set(values))):
        found.update(db.session.scalars(select(column).where(column.in_(chunk))))
    return found


def _error(row: int, field: str, message: str) -> dict[str, Any]:
    return {"row": row, "field": field, "message": message}


def _checkable(
    parsed: list[tuple[int, dict[str, str]]], format_errors: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Return, per row, the values whose own format is fine, so every reason gets reported."""
    bad = {(e["row"], e["field"]) for e in format_errors}
    rows = []
    for row, raw in parsed:
        values: dict[str, Any] = {"row": row}
        for field in ("union_code", "username", "password"):
            if (row, field) not in bad:
                values[field] = (raw.get(field) or "").strip()
        if (row, "id_number") not in bad:
            with contextlib.suppress(ValidationError):  # already reported by validate_rows
                values["id_number"] = normalize_id_number(raw.get("id_number") or "")
        rows.append(values)
    return rows


def _canonical_code(code: str, unions: dict[str, str]) -> str | None:
    """Return the union code as stored, matching "sx-xa" typed for "SX-XA"."""
    if code in unions:
        return code
    folded = code.casefold()
    return next((c for c in unions if c.casefold() == folded), None)


def database_errors(
    rows: list[dict[str, Any]], unions: dict[str, str], cipher: IdCipher
) -> list[dict[str, Any]]:
    """Return the errors that need the database: unions, existing IDs and usernames, passwords."""
    errors: list[dict[str, Any]] = []
    hashes = {r["row"]: cipher.lookup_hashes(r["id_number"]) for r in rows if "id_number" in r}
    taken_ids = _existing(Student.id_number_hash, (h for hs in hashes.values() for h in hs))
    taken_names = _existing(User.username, (r["username"] for r in rows if r.get("username")))
    for values in rows:
        row = values["row"]
        union_code = values.get("union_code")
        if union_code and _canonical_code(union_code, unions) is None:
            errors.append(
                _error(
                    row,
                    "union_code",
                    N_("工会代码“%(code)s”不存在或不在您的管辖范围内", code=union_code),
                )
            )
        if any(h in taken_ids for h in hashes.get(row, ())):
            errors.append(_error(row, "id_number", N_("该身份证号已登记")))
        if values.get("username") in taken_names:
            errors.append(
                _error(row, "username", N_("用户名“%(name)s”已被使用", name=values["username"]))
            )
        if values.get("password") and "username" in values:
            try:
                check_policy(values["password"], values["username"])
            except ValidationError as exc:
                errors.append(_error(row, "password", exc.message.rstrip("。")))
    return errors


def hash_passwords(passwords: list[str], progress: Progress | None = None) -> list[str]:
    """Hash each row's password with the configured method, in parallel threads.

    Rows sharing one initial password share one hash (one salt): a class list usually
    gives everyone the same initial password, and hashing it once instead of a thousand
    times is what makes a large import finish. It gives a database thief nothing: once
    one of these is guessed, trying it on the others costs one hash each anyway.
    """
    method = current_app.config["PASSWORD_HASH_METHOD"]
    counts: dict[str, int] = {}
    for password in passwords:
        counts[password] = counts.get(password, 0) + 1
    distinct = list(counts)
    hashed: dict[str, str] = {}
    done = 0
    # hashlib's scrypt and pbkdf2 release the GIL, so threads use every core.
    workers = max(1, min(len(distinct), os.cpu_count() or 1, MAX_HASH_WORKERS))
    with ThreadPoolExecutor(workers) as pool:
        work = partial(generate_password_hash, method=method)
        for password, digest in zip(distinct, pool.map(work, distinct), strict=True):
            hashed[password] = digest
            done += counts[password]
            if progress is not None:
                progress(done, len(passwords))
    return [hashed[p] for p in passwords]


def _sorted(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(errors, key=lambda e: (e["row"], _FIELD_ORDER.get(e["field"], -1)))


def check_upload(
    filename: str, data: bytes, unions: dict[str, str], cipher: IdCipher
) -> list[dict[str, Any]]:
    """Return the file's clean records, or raise import_invalid listing every bad row."""
    parsed = importing.parse_upload(filename, data)
    records, errors = importing.validate_rows(parsed, today=clock.today())
    errors.extend(database_errors(_checkable(parsed, errors), unions, cipher))
    if errors:
        bad_rows = len({e["row"] for e in errors})
        message = N_("有 %(n)s 行数据有误，未导入任何学生。请修改后重新上传。", n=bad_rows)
        raise ValidationError(message, code="import_invalid", rows=_sorted(errors))
    for record in records:
        record["union_code"] = _canonical_code(record["union_code"], unions)
    return records


def write_students(
    actor: User | None,
    records: list[dict[str, Any]],
    unions: dict[str, str],
    cipher: IdCipher,
    *,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> list[Student]:
    """Add the students, their accounts and audit entries to the session (no commit)."""
    now = now or clock.now()
    digests = hash_passwords([r["password"] for r in records], progress)
    students = []
    for record in records:
        profile = {
            f: record.get(f)
            for f in (
                "name",
                "phone",
                "university",
                "major",
                "enrollment_year",
                "home_city",
                "union_code",
                "volunteer_number",
            )
        }
        profile["university_city"] = rules.university_city(record["university"])
        cipher_text, key_id = cipher.encrypt(record["id_number"])
        students.append(
            Student(
                **profile,
                id_number_cipher=cipher_text,
                id_key_id=key_id,
                id_number_hash=cipher.lookup_hash(record["id_number"]),
                id_number_masked=mask_id_number(record["id_number"]),
                created_at=now,
                updated_at=now,
            )
        )
    db.session.add_all(students)
    db.session.flush()  # the accounts need the students' ids
    users = [
        User(
            username=r["username"],
            password_hash=digest,
            role="student",
            name=s.name,
            student_id=s.id,
            must_change_password=True,
            created_at=now,
        )
        for r, s, digest in zip(records, students, digests, strict=True)
    ]
    db.session.add_all(users)
    db.session.flush()
    for record, student in zip(records, students, strict=True):
        # Kept on the object for this request only (never stored): the import page prints
        # each new account's initial password once.
        student.initial_password = record["password"]
    for student, user in zip(students, users, strict=True):
        path = unions[student.union_code]
        after = {**audit_view(student), "username": user.username}
        audit.record(actor, "created", "student", student.id, after=after, union_path=path)
        audit.record(
            actor,
            "created",
            "user",
            user.id,
            union_path=path,
            after={"username": user.username, "role": "student", "name": user.name},
        )
    return students
