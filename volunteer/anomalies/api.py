"""JSON routes of the anomaly queue (API.md "Integrity")."""

from __future__ import annotations

from typing import Annotated

from flask import Blueprint, jsonify
from pydantic import Field, StringConstraints

from ..auth.scope import current_actor, role_required
from ..jsonapi import Body, documented, paginated, parse_body, validate_args
from . import services

bp = Blueprint("anomalies_api", __name__, url_prefix="/api/v1")

Short = Annotated[str, StringConstraints(max_length=40)]


class AnomalyArgs(Body):
    union_code: Short | None = None
    enterprise_id: Annotated[int, Field(gt=0, lt=2**31)] | None = None
    status: Short | None = None
    kind: Short | None = None


class ResolveBody(Body):
    status: Short
    note: Annotated[str, StringConstraints(max_length=2000)]
    reject_sessions: bool = False


@bp.get("/anomalies")
@documented(
    "Anomalies in the caller's scope, newest first (R42)",
    query={"union_code": "code", "enterprise_id": "id", "status": "status", "kind": "kind"},
)
@role_required("union_staff", "enterprise_staff")
def list_anomalies():
    args = validate_args(AnomalyArgs)
    stmt = services.list_anomalies(current_actor(), **args.model_dump())
    return jsonify(paginated(stmt, lambda a: a.to_dict()))


@bp.get("/anomalies/<int:anomaly_id>")
@documented("One anomaly with its evidence")
@role_required("union_staff", "enterprise_staff")
def get_anomaly(anomaly_id: int):
    return jsonify(services.get_anomaly(current_actor(), anomaly_id).to_dict())


@bp.post("/anomalies/<int:anomaly_id>/resolve")
@documented(
    "Dismiss or confirm an anomaly with a note; confirming may reject its sessions",
    body=ResolveBody,
)
@role_required("union_staff", "enterprise_staff")
def resolve_anomaly(anomaly_id: int):
    services.get_anomaly(current_actor(), anomaly_id)  # 404 before 400
    data = parse_body(ResolveBody)
    anomaly = services.resolve_anomaly(
        current_actor(), anomaly_id, data.status, data.note, data.reject_sessions
    )
    return jsonify(anomaly.to_dict())
