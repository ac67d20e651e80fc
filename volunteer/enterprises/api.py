"""JSON routes for enterprises, their sites and staff accounts."""

from __future__ import annotations

from typing import Annotated

from flask import Blueprint, jsonify, request
from pydantic import Field, StringConstraints

from ..auth.scope import current_actor, enterprises, get_or_404, role_required
from ..errors import N_, ValidationError
from ..jsonapi import Body, Password, Text100, Text200, Username, documented, paginated, parse_body
from . import services
from .models import Enterprise

bp = Blueprint("enterprises_api", __name__, url_prefix="/api/v1")

Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=50)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)]
Capacity = Annotated[int, Field(ge=0, le=10_000)]
Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]
Radius = Annotated[int, Field(ge=10, le=5000)]


class EnterpriseBody(Body):
    name: Text100
    credit_code: Code
    union_code: Text100
    city: Short | None = None
    industry: Short | None = None
    address: Text200 | None = None
    capacity: Capacity = 10
    contact_name: Short | None = None
    contact_phone: Phone | None = None


class EnterprisePatch(Body):
    name: Text100 | None = None
    credit_code: Code | None = None
    city: Short | None = None
    industry: Short | None = None
    address: Text200 | None = None
    capacity: Capacity | None = None
    contact_name: Short | None = None
    contact_phone: Phone | None = None


class SiteBody(Body):
    name: Text100
    address: Text200 | None = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    radius_m: Radius | None = None


class SitePatch(Body):
    name: Text100 | None = None
    address: Text200 | None = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    radius_m: Radius | None = None
    is_active: bool | None = None


class StaffBody(Body):
    username: Username
    password: Password
    name: Text100


def _changes(body: Body, required: tuple[str, ...] = ()) -> dict:
    """Return the fields the client sent; a required field may not be set to null."""
    values = body.model_dump(include=body.model_fields_set)
    for name in required:
        if name in values and values[name] is None:
            raise ValidationError.field(name, N_("不能为空。"))
    return values


@bp.post("/enterprises")
@documented(
    "Register a partner enterprise under a union in scope",
    body=EnterpriseBody,
    responses={201: "Enterprise", 409: "duplicate credit code"},
)
@role_required("union_staff")
def create_enterprise():
    data = parse_body(EnterpriseBody).model_dump()
    enterprise = services.create_enterprise(current_actor(), **data)
    return jsonify(enterprise.to_dict()), 201


@bp.get("/enterprises")
@documented(
    "Enterprises: the whole province for union staff, itself for enterprise staff",
    query={"q": "name, credit code or industry contains", "city": "city contains"},
)
@role_required("union_staff", "enterprise_staff")
def list_enterprises():
    stmt = services.list_enterprises(
        current_actor(), request.args.get("q", "")[:100], request.args.get("city", "")[:50]
    )
    return jsonify(paginated(stmt, Enterprise.to_dict))


@bp.get("/enterprises/<int:enterprise_id>")
@documented("One enterprise's profile")
@role_required("union_staff", "enterprise_staff", "student")
def get_enterprise(enterprise_id: int):
    enterprise = get_or_404(enterprises(current_actor()), Enterprise, enterprise_id)
    return jsonify(enterprise.to_dict())


@bp.patch("/enterprises/<int:enterprise_id>")
@documented(
    "Edit an enterprise's profile (its union's staff)",
    body=EnterprisePatch,
    responses={200: "Enterprise"},
)
@role_required("union_staff")
def update_enterprise(enterprise_id: int):
    services.get_managed(current_actor(), enterprise_id)
    changes = _changes(parse_body(EnterprisePatch), ("name", "credit_code", "capacity"))
    enterprise = services.update_enterprise(current_actor(), enterprise_id, changes)
    return jsonify(enterprise.to_dict())


@bp.get("/enterprises/<int:enterprise_id>/capacity")
@documented("Capacity in use: students holding a place today and at the coming peak")
@role_required("union_staff", "enterprise_staff")
def capacity(enterprise_id: int):
    enterprise = get_or_404(enterprises(current_actor()), Enterprise, enterprise_id)
    use = services.capacity_in_use(enterprise)
    return jsonify(
        {
            "enterprise_id": enterprise.id,
            "capacity": use.capacity,
            "in_use_today": use.in_use_today,
            "peak": use.peak,
            "peak_from": use.peak_from.isoformat(),
            "peak_to": use.peak_to.isoformat(),
            "remaining": use.remaining,
        }
    )


@bp.get("/enterprises/<int:enterprise_id>/sites")
@documented("An enterprise's sites (its union's staff, its own staff)")
@role_required("union_staff", "enterprise_staff")
def list_sites(enterprise_id: int):
    services.get_managed(current_actor(), enterprise_id)
    items = [s.to_dict() for s in services.list_sites(enterprise_id)]
    return jsonify({"items": items, "total": len(items), "page": 1, "per_page": len(items)})


@bp.post("/enterprises/<int:enterprise_id>/sites")
@documented("Add a site (its union's staff, its own staff)", body=SiteBody, responses={201: "Site"})
@role_required("union_staff", "enterprise_staff")
def add_site(enterprise_id: int):
    services.get_managed(current_actor(), enterprise_id)
    data = parse_body(SiteBody).model_dump()
    site = services.add_site(current_actor(), enterprise_id, **data)
    return jsonify(site.to_dict()), 201


@bp.patch("/sites/<int:site_id>")
@documented("Edit or deactivate a site", body=SitePatch, responses={200: "Site"})
@role_required("union_staff", "enterprise_staff")
def update_site(site_id: int):
    services.get_managed_site(current_actor(), site_id)
    changes = _changes(parse_body(SitePatch), ("name", "is_active"))
    site = services.update_site(current_actor(), site_id, changes)
    return jsonify(site.to_dict())


@bp.get("/enterprises/<int:enterprise_id>/staff")
@documented("An enterprise's staff accounts (its union's staff)")
@role_required("union_staff")
def list_staff(enterprise_id: int):
    services.get_managed(current_actor(), enterprise_id)
    items = [u.to_dict() for u in services.list_staff(enterprise_id)]
    return jsonify({"items": items, "total": len(items), "page": 1, "per_page": len(items)})


@bp.post("/enterprises/<int:enterprise_id>/staff")
@documented(
    "Create an enterprise staff account with an initial password (its union's staff)",
    body=StaffBody,
    responses={201: "User"},
)
@role_required("union_staff")
def create_staff(enterprise_id: int):
    services.get_managed(current_actor(), enterprise_id)
    data = parse_body(StaffBody)
    user = services.create_enterprise_staff(
        current_actor(), enterprise_id, data.username, data.password, data.name
    )
    return jsonify(user.to_dict()), 201
