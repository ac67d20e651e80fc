"""JSON routes for the allowed-day calendar (R3)."""

from __future__ import annotations

from typing import Annotated

from flask import Blueprint, jsonify, request
from pydantic import StringConstraints

from .. import clock
from ..auth.scope import current_actor, role_required
from ..errors import N_, Forbidden
from ..jsonapi import Body, documented, parse_body
from . import services

bp = Blueprint("calendar_api", __name__, url_prefix="/api/v1")

Name = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]


class OverrideBody(Body):
    kind: str
    name: Name | None = None
    # Needed only when some union has closed the date's month (R29); nothing else overrides.
    override_reason: Reason | None = None


class RemoveBody(Body):
    override_reason: Reason | None = None


def _require_root() -> None:
    # 403 (the role may never do this) comes before any 400 about the body.
    if not services.is_root_staff(current_actor()):
        raise Forbidden("forbidden", N_("只有省级（根）工会工作人员可以修改日历。"))


@bp.get("/calendar")
@documented(
    "Allowed-day calendar of a month: each day rest or work and the verdict's source",
    query={"month": "YYYY-MM (default: the current month)"},
)
@role_required()
def month():
    value = request.args.get("month") or clock.current_month()
    month = services.parse_month_arg(value)
    return jsonify({"month": month, "items": services.month_items(month)})


@bp.put("/calendar/<day>")
@documented(
    "Override a date for the whole province (root union staff); in a month any union has "
    "closed only with override_reason",
    body=OverrideBody,
    responses={200: "Override stored", 409: "month_closed"},
)
@role_required("union_staff")
def put_override(day: str):
    _require_root()
    data = parse_body(OverrideBody)
    row = services.set_override(current_actor(), day, data.kind, data.name, data.override_reason)
    return jsonify(
        {"date": row.day.isoformat(), "kind": row.kind, "name": row.name, "source": "override"}
    )


@bp.delete("/calendar/<day>")
@documented(
    "Remove a date's override (root union staff)",
    body=RemoveBody,
    query={"override_reason": "needed when some union has closed the month"},
    responses={204: "Removed", 409: "month_closed"},
)
@role_required("union_staff")
def delete_override(day: str):
    _require_root()
    reason = request.args.get("override_reason")
    if request.get_data(cache=True).strip():
        reason = parse_body(RemoveBody).override_reason or reason
    services.delete_override(current_actor(), day, reason)
    return "", 204
