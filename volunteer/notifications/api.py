"""JSON routes of the inbox (API.md "Notifications and follow-up")."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from ..auth.scope import current_actor, role_required
from ..errors import N_, ValidationError
from ..jsonapi import documented, paginated
from . import services

bp = Blueprint("notifications_api", __name__, url_prefix="/api/v1")


def _unread_arg() -> bool:
    raw = (request.args.get("unread") or "").lower()
    if raw in ("", "false", "0"):
        return False
    if raw in ("true", "1"):
        return True
    raise ValidationError.field("unread", N_("应为 true 或 false。"))


@bp.get("/notifications")
@documented(
    "The caller's own notifications, newest first",
    query={"unread": "true: only unread ones", "page": "from 1", "per_page": "at most 500"},
)
@role_required()
def list_notifications():
    stmt = services.inbox_query(current_actor(), unread_only=_unread_arg())
    body = paginated(stmt, lambda n: n.to_dict())
    body["unread"] = services.unread_count(current_actor())
    return jsonify(body)


@bp.post("/notifications/<int:notification_id>/read")
@documented("Mark one of one's notifications read")
@role_required()
def read_notification(notification_id: int):
    return jsonify(services.mark_read(current_actor(), notification_id).to_dict())


@bp.post("/notifications/read-all")
@documented("Mark all of one's notifications read", responses={204: "No content"})
@role_required()
def read_all():
    services.mark_all_read(current_actor())
    return "", 204
