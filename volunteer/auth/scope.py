"""What each actor may see, as query filters — the one place scope is decided (SPEC §3)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import g, has_request_context, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import ColumnElement, Select, false, or_, select, true

from ..agreements.models import Agreement
from ..checkin.models import ServiceSession
from ..enterprises.models import Enterprise, Site
from ..errors import N_, Forbidden, NotFound, Unauthorized
from ..extensions import db
from ..students.models import Student
from ..unions.models import Union
from .models import User

F = TypeVar("F", bound=Callable[..., Any])


def is_api_request() -> bool:
    """Return whether the current request is for the JSON API."""
    return has_request_context() and request.path.startswith("/api/")


def current_actor() -> User | None:
    """Return the authenticated user of this request (bearer token or login session)."""
    if is_api_request():
        return g.get("api_user")
    user = current_user._get_current_object() if current_user else None
    return user if user is not None and user.is_authenticated else None


def role_required(*roles: str, allow_initial_password: bool = False) -> Callable[[F], F]:
    """Require a logged-in actor of one of `roles`: 401, then 403 (SPEC §3 order)."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            actor = current_actor()
            if actor is None:
                if is_api_request():
                    raise Unauthorized(g.get("api_auth_error") or "unauthorized")
                return redirect(url_for("auth.login", next=request.full_path))
            if actor.must_change_password and not allow_initial_password:
                if is_api_request():
                    raise Forbidden("password_change_required", N_("请先修改初始密码。"))
                return redirect(url_for("auth.change_password", next=request.full_path))
            if roles and actor.role not in roles:
                raise Forbidden()
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


# --- unions -------------------------------------------------------------------------


def actor_union(actor: User) -> Union | None:
    """Return the union a union-staff actor belongs to."""
    if actor.role != "union_staff" or not actor.union_code:
        return None
    return db.session.get(Union, actor.union_code)


def _actor_path(actor: User) -> str | None:
    cached = getattr(actor, "_scope_path", None)
    if cached is None:
        union = actor_union(actor)
        cached = union.path if union else ""
        actor._scope_path = cached  # type: ignore[attr-defined]
    return cached or None


def subtree_codes(actor: User) -> Select:
    """Select the codes of the unions in the actor's subtree."""
    path = _actor_path(actor)
    if path is None:
        return select(Union.code).where(false())
    return select(Union.code).where(Union.path.startswith(path, autoescape=True))


def in_subtree(actor: User, column: Any) -> ColumnElement[bool]:
    """Filter: `column` (a union code) lies in the actor's subtree."""
    return column.in_(subtree_codes(actor))


def unions(actor: User) -> Select:
    """Select the unions the actor may manage."""
    if actor.role != "union_staff":
        return select(Union).where(false())
    return select(Union).where(in_subtree(actor, Union.code))


def union_path_in_scope(actor: User, path: str | None) -> bool:
    """Return whether a union path lies in the actor's subtree."""
    mine = _actor_path(actor)
    return bool(mine and path and path.startswith(mine))


# --- students, enterprises, sites ----------------------------------------------------


def student_filter(actor: User) -> ColumnElement[bool]:
    """Filter on Student for what the actor may read."""
    if actor.role == "union_staff":
        return in_subtree(actor, Student.union_code)
    if actor.role == "enterprise_staff":
        linked = select(Agreement.student_id).where(Agreement.enterprise_id == actor.enterprise_id)
        return Student.id.in_(linked)
    if actor.role == "student":
        return Student.id == actor.student_id
    return false()


def students(actor: User) -> Select:
    """Select the students the actor may read."""
    return select(Student).where(student_filter(actor))


def managed_students(actor: User) -> Select:
    """Select the students whose records the actor manages (their union's staff only)."""
    if actor.role != "union_staff":
        return select(Student).where(false())
    return select(Student).where(in_subtree(actor, Student.union_code))


def enterprises(actor: User) -> Select:
    """Select enterprises the actor may read (union officers read every profile)."""
    if actor.role == "union_staff":
        return select(Enterprise).where(true())
    if actor.role == "enterprise_staff":
        return select(Enterprise).where(Enterprise.id == actor.enterprise_id)
    if actor.role == "student":
        mine = select(Agreement.enterprise_id).where(Agreement.student_id == actor.student_id)
        return select(Enterprise).where(Enterprise.id.in_(mine))
    return select(Enterprise).where(false())


def managed_enterprise_filter(actor: User) -> ColumnElement[bool]:
    """Filter on Enterprise for those the actor manages (registering union or own staff)."""
    if actor.role == "union_staff":
        return in_subtree(actor, Enterprise.union_code)
    if actor.role == "enterprise_staff":
        return Enterprise.id == actor.enterprise_id
    return false()


def managed_enterprises(actor: User) -> Select:
    """Select the enterprises the actor manages."""
    return select(Enterprise).where(managed_enterprise_filter(actor))


def report_enterprises(actor: User) -> Select:
    """Select enterprises whose monthly reports the actor may read (R23): union staff
    those their subtree registered or whose agreements hold its students; staff their own."""
    if actor.role == "union_staff":
        served = (
            select(Agreement.enterprise_id)
            .join(Student, Student.id == Agreement.student_id)
            .where(in_subtree(actor, Student.union_code))
        )
        return select(Enterprise).where(
            or_(in_subtree(actor, Enterprise.union_code), Enterprise.id.in_(served))
        )
    return managed_enterprises(actor)


def certificate_students(actor: User) -> Select:
    """Select the students whose certificates the actor may issue and read (R25)."""
    if actor.role == "student":
        return students(actor)
    return managed_students(actor)


def sites(actor: User) -> Select:
    """Select the sites the actor manages."""
    managed = select(Enterprise.id).where(managed_enterprise_filter(actor))
    return select(Site).where(Site.enterprise_id.in_(managed))


# --- agreements and sessions: visible to both sides ----------------------------------


def _two_sided(actor: User, student_col: Any, enterprise_col: Any) -> ColumnElement[bool]:
    if actor.role == "union_staff":
        student_side = select(Student.id).where(in_subtree(actor, Student.union_code))
        enterprise_side = select(Enterprise.id).where(in_subtree(actor, Enterprise.union_code))
        return or_(student_col.in_(student_side), enterprise_col.in_(enterprise_side))
    if actor.role == "enterprise_staff":
        return enterprise_col == actor.enterprise_id
    if actor.role == "student":
        return student_col == actor.student_id
    return false()


def agreement_filter(actor: User) -> ColumnElement[bool]:
    """Filter on Agreement for what the actor may read."""
    return _two_sided(actor, Agreement.student_id, Agreement.enterprise_id)


def agreements(actor: User) -> Select:
    """Select the agreements the actor may read."""
    return select(Agreement).where(agreement_filter(actor))


def session_filter(actor: User) -> ColumnElement[bool]:
    """Filter on ServiceSession for what the actor may read."""
    return _two_sided(actor, ServiceSession.student_id, ServiceSession.enterprise_id)


def sessions(actor: User) -> Select:
    """Select the sessions the actor may read."""
    return select(ServiceSession).where(session_filter(actor))


def corrections(actor: User) -> Select:
    """Select the correction requests the actor may read (both sides, like sessions)."""
    from ..checkin.models import Correction

    return select(Correction).where(
        _two_sided(actor, Correction.student_id, Correction.enterprise_id)
    )


def scan_attempt_filter(actor: User) -> ColumnElement[bool]:
    """Filter on ScanAttempt: union staff their students' or their enterprises' sites'
    attempts, enterprise staff their sites', a student their own (R14)."""
    from ..checkin.models import ScanAttempt

    if actor.role == "union_staff":
        student_side = select(Student.id).where(in_subtree(actor, Student.union_code))
        site_side = (
            select(Site.id)
            .join(Enterprise, Enterprise.id == Site.enterprise_id)
            .where(in_subtree(actor, Enterprise.union_code))
        )
        return or_(ScanAttempt.student_id.in_(student_side), ScanAttempt.site_id.in_(site_side))
    if actor.role == "enterprise_staff":
        own = select(Site.id).where(Site.enterprise_id == actor.enterprise_id)
        return ScanAttempt.site_id.in_(own)
    if actor.role == "student":
        return ScanAttempt.student_id == actor.student_id
    return false()


def anomalies(actor: User) -> Select:
    """Select the anomalies the actor may read (R42): union staff those of their
    students or their enterprises, enterprise staff those naming their enterprise."""
    from ..anomalies.models import Anomaly, AnomalyStudent

    if actor.role == "union_staff":
        mine = (
            select(AnomalyStudent.anomaly_id)
            .join(Student, Student.id == AnomalyStudent.student_id)
            .where(in_subtree(actor, Student.union_code))
        )
        enterprise_side = select(Enterprise.id).where(in_subtree(actor, Enterprise.union_code))
        return select(Anomaly).where(
            or_(Anomaly.id.in_(mine), Anomaly.enterprise_id.in_(enterprise_side))
        )
    if actor.role == "enterprise_staff":
        return select(Anomaly).where(Anomaly.enterprise_id == actor.enterprise_id)
    return select(Anomaly).where(false())


# --- users ---------------------------------------------------------------------------


def users(actor: User) -> Select:
    """Select the accounts a union officer may manage (reset passwords)."""
    if actor.role != "union_staff":
        return select(User).where(false())
    student_ids = select(Student.id).where(in_subtree(actor, Student.union_code))
    enterprise_ids = select(Enterprise.id).where(in_subtree(actor, Enterprise.union_code))
    return select(User).where(
        or_(
            in_subtree(actor, User.union_code),
            User.student_id.in_(student_ids),
            User.enterprise_id.in_(enterprise_ids),
        )
    )


# --- lookups -------------------------------------------------------------------------


def get_or_404(stmt: Select, model: Any, ident: Any) -> Any:
    """Load one object by primary key through a scoped select; 404 when outside it."""
    if isinstance(ident, bool) or ident is None:
        raise NotFound()
    if isinstance(ident, int) and not 0 < ident < 2**31:
        raise NotFound()
    pk = model.__mapper__.primary_key[0]
    try:
        obj = db.session.scalars(stmt.where(pk == ident).limit(1)).first()
    except (ValueError, TypeError, OverflowError):
        obj = None
    if obj is None:
        raise NotFound()
    return obj
