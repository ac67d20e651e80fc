"""JSON routes for unions and their staff."""

from __future__ import annotations

from flask import Blueprint, jsonify

from ..auth import services as auth_services
from ..auth.scope import current_actor, get_or_404, role_required, unions
from ..jsonapi import Body, Password, Text100, Username, documented, parse_body
from . import services
from .models import Union

bp = Blueprint("unions_api", __name__, url_prefix="/api/v1")


class UnionBody(Body):
    code: Text100
    name: Text100
    parent_code: Text100 | None = None


class StaffBody(Body):
    username: Username
    password: Password
    name: Text100


@bp.post("/unions")
@documented("Create a union under a parent in scope", body=UnionBody, responses={201: "Created"})
@role_required("union_staff")
def create_union():
    data = parse_body(UnionBody)
    union = services.create_union(current_actor(), data.code, data.name, data.parent_code)
    return jsonify(union.to_dict()), 201


@bp.get("/unions")
@documented("Unions in the caller's subtree")
@role_required("union_staff")
def list_unions():
    items = [u.to_dict() for u in services.list_unions(current_actor())]
    return jsonify({"items": items, "total": len(items), "page": 1, "per_page": len(items)})


@bp.post("/unions/<code>/staff")
@documented(
    "Create a staff account for a union in scope", body=StaffBody, responses={201: "Created"}
)
@role_required("union_staff")
def create_staff(code: str):
    get_or_404(unions(current_actor()), Union, code)
    data = parse_body(StaffBody)
    user = auth_services.create_union_staff(
        current_actor(), code, data.username, data.password, data.name
    )
    return jsonify(user.to_dict()), 201
