"""JSON routes for compliance (API.md "Compliance"): month rows, exemptions, month close."""

from __future__ import annotations

from typing import Annotated

from flask import Blueprint, jsonify, request
from pydantic import Field, StringConstraints

from .. import clock
from ..auth.scope import current_actor, role_required
from ..errors import N_, ValidationError
from ..jsonapi import Body, Reason, documented, page_args, parse_body
from . import services

bp = Blueprint("compliance_api", __name__, url_prefix="/api/v1")

MonthText = Annotated[str, StringConstraints(max_length=7)]
OptionalReason = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]


class StudentRef(Body):
    student_id: Annotated[int, Field(ge=1, le=2**31 - 1)]


class ExemptionBody(StudentRef):
    month: MonthText
    minutes: Annotated[int, Field(ge=1, le=services.MAX_EXEMPT_MINUTES)] | None = None
    reason: Reason
    # Only for a month already closed (R21): why the closed figures must change.
    override_reason: OptionalReason | None = None


class RevokeBody(Body):
    reason: Reason
    override_reason: OptionalReason | None = None


class ReopenBody(Body):
    reason: Reason


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name)
    if raw in (None, ""):
        return None
    if not raw.isdigit() or not 1 <= int(raw) < 2**31:
        raise ValidationError.field(name, N_("应为正整数。"))
    return int(raw)


@bp.get("/compliance")
@documented(
    "Month rows of the students in scope, with a summary of every row",
    query={
        "month": "YYYY-MM (default: the current month)",
        "union_code": "a union in scope: its subtree",
        "enterprise_id": "students whose agreement with it covers the month",
        "status": "one of " + ", ".join(services.STATUSES),
        "page": "from 1",
        "per_page": "default 50, at most 500",
    },
)
@role_required("union_staff", "enterprise_staff")
def list_rows():
    month = request.args.get("month") or clock.current_month()
    enterprise_id = _int_arg("enterprise_id")
    items, total, figures, (page, per_page) = services.list_compliance_page(
        current_actor(),
        month,
        union_code=request.args.get("union_code") or None,
        enterprise_id=enterprise_id,
        status=request.args.get("status") or None,
        paging=page_args,
    )
    return jsonify(
        {
            "month": services.parse_month_arg(month),
            "items": [r.to_dict() for r in items],
            "total": total,
            "page": page,
            "per_page": per_page,
            "summary": figures,
        }
    )


@bp.get("/students/<int:student_id>/months/<month>")
@documented("A student's month row (R18–R20)")
@role_required("union_staff", "enterprise_staff", "student")
def student_month(student_id: int, month: str):
    return jsonify(services.student_month(current_actor(), student_id, month).to_dict())


@bp.post("/exemptions")
@documented(
    "Exempt a student's month, in part (minutes) or whole (no minutes)",
    body=ExemptionBody,
    responses={201: "Created"},
)
@role_required("union_staff")
def create_exemption():
    actor = current_actor()
    # The student is found through scope (404) before the rest of the body is judged (400).
    ref = parse_body(StudentRef)
    services.student_in_managed_scope(actor, ref.student_id)
    data = parse_body(ExemptionBody)
    exemption = services.create_exemption(
        actor,
        data.student_id,
        data.month,
        data.reason,
        data.minutes,
        override_reason=data.override_reason,
    )
    return jsonify(services.exemption_dict(exemption)), 201


@bp.post("/exemptions/<int:exemption_id>/revoke")
@documented("Withdraw an exemption, with a reason", body=RevokeBody)
@role_required("union_staff")
def revoke_exemption(exemption_id: int):
    actor = current_actor()
    services.exemption_in_scope(actor, exemption_id)
    data = parse_body(RevokeBody)
    exemption = services.revoke_exemption(
        actor, exemption_id, data.reason, override_reason=data.override_reason
    )
    return jsonify(services.exemption_dict(exemption))


def _close_dict(row) -> dict:
    return {
        "month": row.month,
        "union_code": row.union_code,
        "closed_at": clock.to_local(row.closed_at).isoformat() if row.closed_at else None,
        "reopened_at": clock.to_local(row.reopened_at).isoformat() if row.reopened_at else None,
    }


@bp.post("/unions/<code>/months/<month>/close")
@documented(
    "Close a month for a union's subtree: store figures and lock it (R21)",
    responses={200: "Closed"},
)
@role_required("union_staff")
def close_month(code: str, month: str):
    return jsonify(_close_dict(services.close_month(current_actor(), code, month)))


@bp.post("/unions/<code>/months/<month>/reopen")
@documented("Reopen a month this union closed, with a reason", body=ReopenBody)
@role_required("union_staff")
def reopen_month(code: str, month: str):
    actor = current_actor()
    services.union_in_scope(actor, code)
    data = parse_body(ReopenBody)
    return jsonify(_close_dict(services.reopen_month(actor, code, month, data.reason)))
