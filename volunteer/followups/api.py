"""JSON routes of follow-up cases (API.md "Notifications and follow-up")."""

from __future__ import annotations

from typing import Annotated

from flask import Blueprint, jsonify, request
from pydantic import Field, StringConstraints

from ..auth.scope import current_actor, role_required
from ..jsonapi import Body, documented, paginated, parse_body
from . import rules, services

bp = Blueprint("followups_api", __name__, url_prefix="/api/v1")

NoteText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=rules.NOTE_MAX)
]


class NoteBody(Body):
    text: NoteText


class AssignBody(Body):
    user_id: Annotated[int, Field(ge=1, le=2**31 - 1)]


class ResolveBody(Body):
    outcome: str
    note: NoteText


@bp.get("/followups")
@documented(
    "Follow-up cases in scope (R35)",
    query={
        "union_code": "a union in scope: its subtree",
        "month": "YYYY-MM",
        "status": "open, contacted, escalated, resolved (or active: not resolved)",
        "page": "from 1",
        "per_page": "at most 500",
    },
)
@role_required("union_staff")
def list_followups():
    stmt = services.list_query(
        current_actor(),
        union_code=request.args.get("union_code") or None,
        month=request.args.get("month") or None,
        status=request.args.get("status") or None,
    )
    page = paginated(stmt, tuple, scalars=False)
    page["items"] = services.serialise_rows(page["items"])
    return jsonify(page)


@bp.get("/followups/<int:case_id>")
@documented("One follow-up case")
@role_required("union_staff")
def get_followup(case_id: int):
    return jsonify(services.get_case(current_actor(), case_id))


@bp.post("/followups/<int:case_id>/notes")
@documented(
    "Add a note (an open case becomes contacted)", body=NoteBody, responses={201: "Created"}
)
@role_required("union_staff")
def add_note(case_id: int):
    actor = current_actor()
    services.get_case(actor, case_id)  # 404 before 400
    data = parse_body(NoteBody)
    return jsonify(services.add_note(actor, case_id, data.text)), 201


@bp.post("/followups/<int:case_id>/assign")
@documented("Assign a case to a union officer", body=AssignBody)
@role_required("union_staff")
def assign(case_id: int):
    actor = current_actor()
    services.get_case(actor, case_id)
    data = parse_body(AssignBody)
    return jsonify(services.assign(actor, case_id, data.user_id))


@bp.post("/followups/<int:case_id>/resolve")
@documented("Resolve a case with an outcome and a note", body=ResolveBody)
@role_required("union_staff")
def resolve(case_id: int):
    actor = current_actor()
    services.get_case(actor, case_id)
    data = parse_body(ResolveBody)
    return jsonify(services.resolve(actor, case_id, data.outcome, data.note))
