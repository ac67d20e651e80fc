"""Use cases for the union hierarchy."""

from __future__ import annotations

import re

from sqlalchemy import select

from .. import audit, clock
from ..auth import scope
from ..auth.models import User
from ..auth.services import commit_or_conflict
from ..errors import N_, Conflict, Forbidden, ValidationError
from ..extensions import db
from .models import Union

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,31}$")


def validate_code(code: str) -> str:
    """Return a clean union code or raise a 400."""
    code = (code or "").strip()
    if not CODE_RE.match(code):
        raise ValidationError.field("code", N_("工会代码为 1–32 位字母、数字或连字符。"))
    return code


def create_union(actor: User | None, code: str, name: str, parent_code: str | None) -> Union:
    """Create a union under a parent in the actor's scope (no actor: a root, from the CLI)."""
    code = validate_code(code)
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationError.field("name", N_("名称必填，最多 100 字。"))
    parent = None
    if actor is not None:
        if actor.role != "union_staff":
            raise Forbidden()
        if parent_code is None:
            raise ValidationError.field("parent_code", N_("请指定上级工会。"))
        parent = scope.get_or_404(scope.unions(actor), Union, parent_code)
    elif parent_code is not None:
        parent = db.session.get(Union, parent_code)
        if parent is None:
            raise ValidationError.field("parent_code", N_("上级工会不存在。"))
    if db.session.get(Union, code) is not None:
        raise Conflict(
            "duplicate", N_("工会代码已存在。"), fields={"code": [N_("工会代码已存在。")]}
        )
    union = Union(
        code=code,
        name=name,
        parent_code=parent.code if parent else None,
        path=(parent.path if parent else "/") + code + "/",
        created_at=clock.now(),
    )
    db.session.add(union)
    audit.record(actor, "created", "union", code, after=union.to_dict(), union_path=union.path)
    commit_or_conflict()
    return union


def union_path(code: str | None) -> str | None:
    """Return a union's path, for audit scoping."""
    if code is None:
        return None
    return db.session.scalar(select(Union.path).where(Union.code == code))


def list_unions(actor: User) -> list[Union]:
    """Return the unions in the actor's subtree, by path."""
    return list(db.session.scalars(scope.unions(actor).order_by(Union.path)))


def list_staff(actor: User) -> list[User]:
    """Return the union staff accounts of the actor's subtree."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.role == "union_staff", scope.in_subtree(actor, User.union_code))
            .order_by(User.union_code, User.username)
        )
    )
