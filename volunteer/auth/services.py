"""Use cases for accounts: log in, change and reset passwords, create accounts."""

from __future__ import annotations

import secrets

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import audit, clock
from ..errors import N_, Conflict, Forbidden, NotFound, Unauthorized, ValidationError
from ..extensions import db
from ..unions.models import Union
from . import scope
from .models import ROLES, User
from .passwords import check_policy, hash_password, verify_password
from .ratelimits import check_login_allowed, note_failed_login, note_successful_login
from .tokens import issue_token

USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-@")


def validate_username(username: str) -> str:
    """Return a clean username or raise a 400."""
    username = (username or "").strip()
    if not 3 <= len(username) <= 64 or not set(username) <= USERNAME_CHARS:
        raise ValidationError.field("username", N_("用户名为 3–64 位字母、数字或 _ . - @。"))
    return username


_dummy_hashes: dict[str, str] = {}


def _dummy_hash() -> str:
    """Return a hash of a random password made with the configured method (once per process).

    Checking an unknown username's password against it costs what a real check costs, so
    the answer's timing does not tell which usernames exist (R31).
    """
    method = current_app.config["PASSWORD_HASH_METHOD"]
    if method not in _dummy_hashes:
        _dummy_hashes[method] = hash_password(secrets.token_urlsafe(16))
    return _dummy_hashes[method]


def authenticate(username: str, password: str) -> User:
    """Return the user for valid credentials, else raise 401 bad_credentials."""
    user = None
    # A name no account can have is not looked up (NUL and the like upset PostgreSQL).
    if 3 <= len(username) <= 64 and set(username) <= USERNAME_CHARS:
        user = db.session.scalars(select(User).where(User.username == username)).first()
    if user is None or not user.is_enabled:
        verify_password(user.password_hash if user else _dummy_hash(), password)
        raise Unauthorized("bad_credentials", N_("用户名或密码错误。"))
    if not verify_password(user.password_hash, password):
        raise Unauthorized("bad_credentials", N_("用户名或密码错误。"))
    return user


def _throttled_authenticate(username: str, password: str, address: str) -> User:
    """Authenticate unless the login counters ran out (429); count a failure (R31)."""
    check_login_allowed(username, address)
    try:
        user = authenticate(username, password)
    except Unauthorized:
        note_failed_login(username, address)
        raise
    note_successful_login(username, address)
    return user


def log_in(username: str, password: str, address: str = "unknown") -> User:
    """Check credentials (throttled per username and address), note the login; commits."""
    user = _throttled_authenticate(username, password, address)
    user.last_login_at = clock.now()
    db.session.commit()
    return user


def create_api_token(username: str, password: str, address: str = "unknown") -> tuple[str, User]:
    """Exchange credentials for a bearer token (throttled like log_in); commits."""
    user = _throttled_authenticate(username, password, address)
    token = issue_token(user)
    user.last_login_at = clock.now()
    db.session.commit()
    return token, user


def _set_password(user: User, password: str, *, initial: bool) -> None:
    user.password_hash = hash_password(password)
    user.must_change_password = initial
    user.password_version += 1
    user.password_changed_at = clock.now()


def set_initial_password(user: User, password: str) -> None:
    """Give an account a new initial password (changed at next login); no commit."""
    check_policy(password, user.username)
    _set_password(user, password, initial=True)


def change_password(actor: User, old_password: str, new_password: str) -> None:
    """Change one's own password; revokes tokens and other sessions; commits."""
    if not verify_password(actor.password_hash, old_password):
        raise ValidationError.field("old_password", N_("原密码不正确。"))
    check_policy(new_password, actor.username, field="new_password")
    if verify_password(actor.password_hash, new_password):
        raise ValidationError.field("new_password", N_("新密码不能与原密码相同。"))
    _set_password(actor, new_password, initial=False)
    audit.record(actor, "password_changed", "user", actor.id, **_user_paths(actor))
    db.session.commit()


def reset_password(actor: User, user_id: int, new_password: str) -> User:
    """Set an initial password for an account in the actor's scope; audited; commits."""
    if actor.role != "union_staff":
        raise Forbidden()
    user = scope.get_or_404(scope.users(actor), User, user_id)
    check_policy(new_password, user.username)
    _set_password(user, new_password, initial=True)
    audit.record(actor, "password_reset", "user", user.id, **_user_paths(user))
    db.session.commit()
    return user


def new_user(
    actor: User | None,
    *,
    username: str,
    password: str,
    name: str,
    role: str,
    union_code: str | None = None,
    enterprise_id: int | None = None,
    student_id: int | None = None,
    initial: bool = True,
) -> User:
    """Add an account to the session (no commit): the caller's service commits once."""
    if role not in ROLES:
        raise ValidationError.field("role", N_("未知角色。"))
    username = validate_username(username)
    check_policy(password, username)
    if db.session.scalars(select(User.id).where(User.username == username)).first():
        raise Conflict(
            "duplicate", N_("用户名已存在。"), fields={"username": [N_("用户名已存在。")]}
        )
    user = User(
        username=username,
        password_hash=hash_password(password),
        role=role,
        name=name,
        union_code=union_code,
        enterprise_id=enterprise_id,
        student_id=student_id,
        must_change_password=initial,
        created_at=clock.now(),
    )
    db.session.add(user)
    db.session.flush()
    audit.record(
        actor,
        "created",
        "user",
        user.id,
        after={"username": username, "role": role, "name": name},
        **_user_paths(user),
    )
    return user


def create_union_staff(
    actor: User | None, union_code: str, username: str, password: str, name: str
) -> User:
    """Create a staff account for a union in the actor's scope; commits."""
    if actor is not None:
        if actor.role != "union_staff":
            raise Forbidden()
        scope.get_or_404(scope.unions(actor), Union, union_code)
    elif db.session.get(Union, union_code) is None:
        raise NotFound("not_found", N_("工会 %(code)s 不存在。", code=union_code))
    user = new_user(
        actor,
        username=username,
        password=password,
        name=name,
        role="union_staff",
        union_code=union_code,
        initial=actor is not None,
    )
    commit_or_conflict()
    return user


def commit_or_conflict() -> None:
    """Commit; a unique-constraint race becomes 409 duplicate, never 500."""
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise Conflict("duplicate", N_("该记录已存在。")) from exc


def _user_paths(user: User) -> dict[str, str | None]:
    from ..enterprises.models import Enterprise
    from ..students.models import Student

    code = user.union_code
    if code is None and user.student_id is not None:
        code = db.session.scalar(select(Student.union_code).where(Student.id == user.student_id))
    if code is None and user.enterprise_id is not None:
        code = db.session.scalar(
            select(Enterprise.union_code).where(Enterprise.id == user.enterprise_id)
        )
    path = db.session.scalar(select(Union.path).where(Union.code == code)) if code else None
    return {"union_path": path}
