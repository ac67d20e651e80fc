"""The API's own description."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from ..auth.scope import current_actor, role_required
from ..jsonapi import documented, paginated
from ..openapi import build_document
from .audit_queries import audit_entries, parse_since

bp = Blueprint("web_api", __name__, url_prefix="/api/v1")


@bp.get("/openapi.json")
@documented("This OpenAPI document", public=True)
def openapi():
    return jsonify(build_document(current_app))


@bp.get("/audit")
@documented(
    "Audit log entries in the caller's scope, newest first",
    query={
        "entity": "object type",
        "entity_id": "object id",
        "actor": "username",
        "since": "ISO date or datetime",
    },
)
@role_required("union_staff")
def audit_log():
    args = request.args
    stmt = audit_entries(
        current_actor(),
        entity=args.get("entity") or None,
        entity_id=args.get("entity_id") or None,
        actor_name=args.get("actor") or None,
        since=parse_since(args.get("since")),
    )
    return jsonify(paginated(stmt, lambda e: e.to_dict()))
