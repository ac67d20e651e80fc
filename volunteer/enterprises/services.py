"""Use cases for partner enterprises, their sites and their staff accounts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, case, func, or_, select

from .. import audit, clock, events
from ..agreements.models import Agreement
from ..auth import scope
from ..auth.models import User
from ..auth.services import commit_or_conflict, new_user
from ..database import lock_rows, race_safe
from ..errors import N_, Conflict, Forbidden, ValidationError
from ..extensions import db
from ..students.identity import normalize_credit_code, normalize_phone
from ..students.models import Student
from ..unions.models import Union
from ..unions.services import union_path
from . import rules
from .models import Enterprise, Site

PROFILE_FIELDS = ("name", "city", "industry", "address", "contact_name")
SITE_TEXT_FIELDS = ("name", "address")
# How far ahead "capacity in use" looks for the busiest day.
CAPACITY_HORIZON_DAYS = 183
_FAR_FUTURE = date(9999, 12, 31)


def _require_union_staff(actor: User) -> None:
    if actor is None or actor.role != "union_staff":
        raise Forbidden()


def _clean_profile(values: dict[str, Any]) -> dict[str, Any]:
    """Validate the profile fields present in `values`; return them cleaned."""
    out: dict[str, Any] = {}
    for field in PROFILE_FIELDS:
        if field in values:
            out[field] = rules.clean_text(field, values[field], required=field == "name")
    if "credit_code" in values:
        out["credit_code"] = normalize_credit_code(values["credit_code"])
    if "capacity" in values:
        out["capacity"] = rules.validate_capacity(values["capacity"])
    if "contact_phone" in values:
        phone = values["contact_phone"]
        blank = phone is None or (isinstance(phone, str) and not phone.strip())
        out["contact_phone"] = None if blank else normalize_phone(phone, "contact_phone")
    return out


def _refuse_duplicate_code(credit_code: str, enterprise_id: int | None = None) -> None:
    stmt = select(Enterprise.id).where(Enterprise.credit_code == credit_code)
    if enterprise_id is not None:
        stmt = stmt.where(Enterprise.id != enterprise_id)
    if db.session.scalar(stmt.limit(1)) is not None:
        reason = N_("该统一社会信用代码已登记。")
        raise Conflict("duplicate", reason, fields={"credit_code": [reason]})


def create_enterprise(actor: User, *, union_code: str, **values: Any) -> Enterprise:
    """Register an enterprise under a union in the actor's subtree; commits."""
    _require_union_staff(actor)
    union = scope.get_or_404(scope.unions(actor), Union, union_code)
    values.setdefault("capacity", rules.DEFAULT_CAPACITY)
    values.setdefault("name", None)
    values.setdefault("credit_code", None)
    clean = _clean_profile(values)
    _refuse_duplicate_code(clean["credit_code"])
    now = clock.now()
    enterprise = Enterprise(union_code=union.code, created_at=now, updated_at=now, **clean)
    db.session.add(enterprise)
    db.session.flush()
    audit.record(
        actor,
        "created",
        "enterprise",
        enterprise.id,
        after=enterprise.to_dict(),
        union_path=union.path,
    )
    commit_or_conflict()
    return enterprise


def get_managed(actor: User, enterprise_id: int) -> Enterprise:
    """Return an enterprise the actor manages (its union's staff or its own staff), else 404."""
    return scope.get_or_404(scope.managed_enterprises(actor), Enterprise, enterprise_id)


@race_safe
def update_enterprise(actor: User, enterprise_id: int, changes: dict[str, Any]) -> Enterprise:
    """Edit an enterprise's profile (union staff of its union); commits."""
    _require_union_staff(actor)
    enterprise = get_managed(actor, enterprise_id)
    clean = _clean_profile(changes)
    if "credit_code" in clean:
        _refuse_duplicate_code(clean["credit_code"], enterprise.id)
    if "capacity" in clean and clean["capacity"] < enterprise.capacity:
        # Lowering capacity must not strand agreements already made (R6).
        lock_rows(enterprise)
        booked = peak_booked(enterprise.id)
        if clean["capacity"] < booked:
            raise Conflict(
                "capacity_full",
                N_("该企业今后最多同时有 %(n)s 名学生在协议期内，容量不能低于此数。", n=booked),
                fields={
                    "capacity": [
                        N_("容量不能低于 %(n)s：今后已有 %(n)s 名学生同时在协议期内", n=booked)
                    ]
                },
            )
    before = enterprise.to_dict()
    for field, value in clean.items():
        setattr(enterprise, field, value)
    enterprise.updated_at = clock.now()
    audit.record(
        actor,
        "updated",
        "enterprise",
        enterprise.id,
        before=before,
        after=enterprise.to_dict(),
        union_path=union_path(enterprise.union_code),
    )
    commit_or_conflict()
    return enterprise


def list_enterprises(actor: User, q: str | None = None, city: str | None = None) -> Select:
    """Select the enterprises the actor may read, filtered by name/credit code and city."""
    stmt = scope.enterprises(actor)
    q = (q or "").strip()
    if q:
        stmt = stmt.where(
            or_(
                Enterprise.name.contains(q, autoescape=True),
                Enterprise.credit_code.contains(q.upper(), autoescape=True),
                Enterprise.industry.contains(q, autoescape=True),
            )
        )
    city = (city or "").strip()
    if city:
        stmt = stmt.where(Enterprise.city.contains(city, autoescape=True))
    if actor.role == "union_staff":
        # The officer's own enterprises first: those are the ones they manage.
        own_first = case((scope.in_subtree(actor, Enterprise.union_code), 0), else_=1)
        return stmt.order_by(own_first, Enterprise.name, Enterprise.id)
    return stmt.order_by(Enterprise.name, Enterprise.id)


# --- sites ---------------------------------------------------------------------------


def add_site(actor: User, enterprise_id: int, **values: Any) -> Site:
    """Add a site to an enterprise the actor manages, with a fresh secret; commits."""
    enterprise = get_managed(actor, enterprise_id)
    name = rules.clean_text("name", values.get("name"), required=True)
    address = rules.clean_text("address", values.get("address"))
    lat, lon, radius = rules.validate_location(
        values.get("latitude"), values.get("longitude"), values.get("radius_m")
    )
    site = Site(
        enterprise_id=enterprise.id,
        name=name,
        address=address,
        latitude=lat,
        longitude=lon,
        radius_m=radius,
        is_active=True,
        secret=rules.make_site_secret(),
        created_at=clock.now(),
    )
    db.session.add(site)
    db.session.flush()
    audit.record(
        actor,
        "created",
        "site",
        site.id,
        after=site.to_dict(),
        union_path=union_path(enterprise.union_code),
    )
    commit_or_conflict()
    return site


def get_managed_site(actor: User, site_id: int) -> Site:
    """Return a site of an enterprise the actor manages, else 404."""
    return scope.get_or_404(scope.sites(actor), Site, site_id)


def update_site(actor: User, site_id: int, changes: dict[str, Any]) -> Site:
    """Edit a site (name, address, coordinates, radius, active flag); commits."""
    site = get_managed_site(actor, site_id)
    before = site.to_dict()
    for field in SITE_TEXT_FIELDS:
        if field in changes:
            setattr(site, field, rules.clean_text(field, changes[field], required=field == "name"))
    if {"latitude", "longitude", "radius_m"} & set(changes):
        lat = changes.get("latitude", site.latitude)
        lon = changes.get("longitude", site.longitude)
        clearing = lat is None and lon is None
        # Clearing the coordinates clears the radius that only made sense with them.
        radius = changes.get("radius_m", None if clearing else site.radius_m)
        site.latitude, site.longitude, site.radius_m = rules.validate_location(lat, lon, radius)
    if "is_active" in changes:
        if not isinstance(changes["is_active"], bool):
            raise ValidationError.field("is_active", N_("应为 true 或 false"))
        site.is_active = changes["is_active"]
    after = site.to_dict()
    if after != before:
        action = "updated"
        if before["is_active"] != after["is_active"]:
            action = "activated" if after["is_active"] else "deactivated"
        enterprise_code = db.session.scalar(
            select(Enterprise.union_code).where(Enterprise.id == site.enterprise_id)
        )
        audit.record(
            actor,
            action,
            "site",
            site.id,
            before=before,
            after=after,
            union_path=union_path(enterprise_code),
        )
    commit_or_conflict()
    return site


def list_sites(enterprise_id: int) -> list[Site]:
    """Return an enterprise's sites, active first (the caller has checked scope)."""
    stmt = (
        select(Site)
        .where(Site.enterprise_id == enterprise_id)
        .order_by(Site.is_active.desc(), Site.name, Site.id)
    )
    return list(db.session.scalars(stmt))


# --- staff accounts ------------------------------------------------------------------


def create_enterprise_staff(
    actor: User, enterprise_id: int, username: str, password: str, name: str
) -> User:
    """Create an enterprise staff account with an initial password (its union's staff); commits."""
    _require_union_staff(actor)
    enterprise = scope.get_or_404(
        select(Enterprise).where(scope.in_subtree(actor, Enterprise.union_code)),
        Enterprise,
        enterprise_id,
    )
    name = rules.clean_text("name", name, required=True)
    user = new_user(
        actor,
        username=username,
        password=password,
        name=name,
        role="enterprise_staff",
        enterprise_id=enterprise.id,
        initial=True,
    )
    commit_or_conflict()
    return user


def list_staff(enterprise_id: int) -> list[User]:
    """Return an enterprise's staff accounts (the caller has checked scope)."""
    stmt = (
        select(User)
        .where(User.role == "enterprise_staff", User.enterprise_id == enterprise_id)
        .order_by(User.username)
    )
    return list(db.session.scalars(stmt))


# --- capacity in use -----------------------------------------------------------------


@dataclass(frozen=True)
class CapacityUse:
    """How much of an enterprise's capacity is taken today and at the busiest coming day."""

    capacity: int
    in_use_today: int
    peak: int
    peak_from: date
    peak_to: date

    @property
    def remaining(self) -> int:
        """Return the places still free on the busiest coming day."""
        return max(0, self.capacity - self.peak)


def capacity_in_use(enterprise: Enterprise, today: date | None = None) -> CapacityUse:
    """Return distinct students holding a place today and the peak over the coming months."""
    today = today or clock.today()
    horizon = date.fromordinal(today.toordinal() + CAPACITY_HORIZON_DAYS)
    ids = [enterprise.id]
    now_use = _places_taken(ids, today, today).get(enterprise.id, 0)
    peak = _places_taken(ids, today, horizon).get(enterprise.id, 0)
    return CapacityUse(enterprise.capacity, now_use, peak, today, horizon)


def in_use_today(enterprise_ids: list[int], today: date | None = None) -> dict[int, int]:
    """Return {enterprise_id: students holding a place today} in one query."""
    today = today or clock.today()
    return _places_taken(enterprise_ids, today, today)


def peak_booked(enterprise_id: int, today: date | None = None) -> int:
    """Return the most students holding a place on any day from today on."""
    today = today or clock.today()
    return _places_taken([enterprise_id], today, _FAR_FUTURE).get(enterprise_id, 0)


def _places_taken(enterprise_ids: list[int], from_on: date, to_on: date) -> dict[int, int]:
    # Which agreements hold a place is the agreements feature's to say (R6).
    return events.ask(
        events.places_taken, enterprise_ids=enterprise_ids, from_on=from_on, to_on=to_on
    )


def students_under_agreement(enterprise_id: int, today: date | None = None) -> list[Any]:
    """Return rows (name, university, phone, agreement) of the enterprise's current and
    coming agreements — never ID numbers, aid or family details."""
    today = today or clock.today()
    live = and_(
        Agreement.ends_on >= today,
        or_(Agreement.terminated_on.is_(None), Agreement.terminated_on > today),
    )
    stmt = (
        select(Student.name, Student.university, Student.phone, Agreement)
        .join(Agreement, Agreement.student_id == Student.id)
        .where(Agreement.enterprise_id == enterprise_id, live)
        .order_by(Agreement.starts_on, Student.name, Agreement.id)
    )
    return list(db.session.execute(stmt))


def union_names(codes: set[str]) -> dict[str, str]:
    """Return {code: name} of the given unions."""
    rows = db.session.execute(select(Union.code, Union.name).where(Union.code.in_(codes)))
    return dict(rows.all())


def managed_ids(actor: User, enterprise_ids: list[int]) -> set[int]:
    """Return which of the given enterprises the actor manages."""
    stmt = scope.managed_enterprises(actor).with_only_columns(Enterprise.id)
    return set(db.session.scalars(stmt.where(Enterprise.id.in_(enterprise_ids))))


def is_manager(actor: User, enterprise: Enterprise) -> bool:
    """Whether the actor manages this enterprise."""
    stmt = scope.managed_enterprises(actor).with_only_columns(Enterprise.id)
    return db.session.scalar(stmt.where(Enterprise.id == enterprise.id)) is not None


def enterprise_page(
    actor: User, q: str, city: str, page: int, per_page: int
) -> tuple[int, list[Enterprise]]:
    """Return (total, enterprises) of one page of the enterprise list."""
    stmt = list_enterprises(actor, q, city)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    return total, list(db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)))


def agreements_with_names(
    actor: User,
    *,
    enterprise_id: int | None = None,
    status: str | None = None,
    today: date | None = None,
    limit: int | None = None,
) -> list[Any]:
    """Return agreement rows with names the actor may read, for an enterprise's pages."""
    return events.ask(
        events.enterprise_agreements,
        actor,
        enterprise_id=enterprise_id,
        status=status,
        today=today,
        limit=limit,
    )


def enterprise_of(site: Site) -> Enterprise | None:
    """Return the enterprise a site belongs to."""
    return db.session.get(Enterprise, site.enterprise_id)
