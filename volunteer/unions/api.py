"""JSON routes for unions and their staff."""

from __future__ import annotations

from typing import Annotated

from flask import Blueprint, jsonify, request
from pydantic import StringConstraints

from ..auth import services as auth_services
from ..auth.scope import current_actor, get_or_404, role_required, unions
from ..errors import N_, ValidationError
from ..jsonapi import Body, Password, Text100, Username, documented, parse_body, sent_fields
from . import services
from .models import Union

bp = Blueprint("unions_api", __name__, url_prefix="/api/v1")


class UnionBody(Body):
    code: Text100
    name: Text100
    parent_code: Text100 | None = None


# Loose here; the exact limits live in services.PROFILE_TEXTS.
ProfileText = Annotated[str, StringConstraints(max_length=400)]


class ProfileBody(Body):
    leader_name: ProfileText | None = None
    contact: ProfileText | None = None
    require_insurance: bool | None = None


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


@bp.get("/unions/<code>/profile")
@documented("A union's profile: 负责人, contact, require_insurance, whether a seal is uploaded")
@role_required("union_staff")
def get_profile(code: str):
    return jsonify(services.profile_dict(services.managed_union(current_actor(), code)))


@bp.put("/unions/<code>/profile")
@documented(
    "Set a union's 负责人, contact and require_insurance (R37, R39); only the fields sent",
    body=ProfileBody,
    responses={200: "{code, name, leader_name, contact, require_insurance}"},
)
@role_required("union_staff")
def put_profile(code: str):
    actor = current_actor()
    services.managed_union(actor, code)
    data = parse_body(ProfileBody)
    changes = sent_fields(data)
    if changes.get("require_insurance", False) is None:
        raise ValidationError.field("require_insurance", N_("应为 true 或 false。"))
    union = services.update_profile(actor, code, **changes)
    return jsonify(services.profile_dict(union))


@bp.put("/unions/<code>/seal")
@documented(
    "Upload the union's seal (multipart `file`, PNG, at most 512 KB, 64–2000 px a side)",
    multipart=True,
    responses={204: "Stored", 400: "validation_error on file"},
)
@role_required("union_staff")
def put_seal(code: str):
    actor = current_actor()
    services.managed_union(actor, code)
    upload = request.files.get("file")
    if upload is None:
        raise ValidationError.field("file", N_("请上传印章图片（表单字段 file）。"))
    services.upload_seal(actor, code, upload.read(services.SEAL_MAX_BYTES + 1))
    return "", 204
