"""JSON routes for agreements (R5, R6) and matching (R7)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from flask import Blueprint, jsonify, request
from pydantic import Field, StringConstraints

from .. import clock
from ..auth.scope import current_actor, get_or_404, managed_students, role_required
from ..errors import N_, ValidationError
from ..jsonapi import Body, Reason, documented, paginated, parse_body, sent_fields
from ..students.models import Student
from . import changes, services, suggestions
from .models import Agreement

bp = Blueprint("agreements_api", __name__, url_prefix="/api/v1")

Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
Hours = Annotated[int, Field(ge=0, le=240)]
# Loose here; the exact limits per field live in rules.TERM_TEXTS.
LongText = Annotated[str, StringConstraints(max_length=4000)]
OverrideReason = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]


class TermsBody(Body):
    """The terms and insurance of R37; lengths are checked in rules.clean_terms."""

    service_content: LongText | None = None
    safety_measures: LongText | None = None
    insurer: LongText | None = None
    policy_number: LongText | None = None
    insured_from: date | None = None
    insured_to: date | None = None


class AgreementBody(TermsBody):
    student_id: Id
    enterprise_id: Id
    kind: Literal["volunteer", "internship"] = "volunteer"
    starts_on: date
    ends_on: date
    monthly_hours: Hours | None = None
    allow_workdays: bool | None = None
    signed_on: date | None = None
    # R29: a signed agreement reaching back into a closed month needs the union's reason.
    override_reason: OverrideReason | None = None


class AgreementPatch(TermsBody):
    """A PATCH: only the fields sent change (model_fields_set)."""

    ends_on: date | None = None
    override_reason: OverrideReason | None = None


class TerminateBody(Body):
    reason: Reason
    effective_on: date
    override_reason: OverrideReason | None = None


def _id_arg(name: str) -> int | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not 1 <= int(raw) < 2**31:
        raise ValidationError.field(name, N_("应为正整数。"))
    return int(raw)


def _date_arg(name: str) -> date | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        # fromisoformat also reads 20260901; the contract's form is YYYY-MM-DD only.
        if len(raw) != 10:
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        raise ValidationError.field(name, N_("应为日期（YYYY-MM-DD）。")) from None


@bp.post("/agreements")
@documented(
    "Create an agreement for a student in scope; with signed_on, a signed paper one",
    body=AgreementBody,
    responses={201: "Agreement", 409: "agreement_overlap, capacity_full, conflict"},
)
@role_required("union_staff")
def create_agreement():
    data = parse_body(AgreementBody)
    agreement = services.create_agreement(current_actor(), **data.model_dump())
    return jsonify(agreement.to_dict()), 201


@bp.get("/agreements")
@documented(
    "Agreements in the caller's scope; status is the derived one",
    query={
        "student_id": "a student",
        "enterprise_id": "an enterprise",
        "status": "pending|scheduled|active|ended|terminated",
    },
)
@role_required("union_staff", "enterprise_staff", "student")
def list_agreements():
    today = clock.today()
    stmt = services.list_agreements(
        current_actor(),
        student_id=_id_arg("student_id"),
        enterprise_id=_id_arg("enterprise_id"),
        status=request.args.get("status", "").strip() or None,
        today=today,
    )
    return jsonify(paginated(stmt, lambda a: a.to_dict(today)))


@bp.get("/agreements/<int:agreement_id>")
@documented("One agreement")
@role_required("union_staff", "enterprise_staff", "student")
def get_agreement(agreement_id: int):
    agreement: Agreement = services.get_readable(current_actor(), agreement_id)
    return jsonify(agreement.to_dict())


@bp.post("/agreements/<int:agreement_id>/sign")
@documented(
    "Sign as the student or the enterprise; in force once both have signed",
    responses={200: "Agreement", 409: "invalid_state"},
)
@role_required("student", "enterprise_staff")
def sign(agreement_id: int):
    services.get_readable(current_actor(), agreement_id)
    agreement = services.sign_agreement(current_actor(), agreement_id)
    return jsonify(agreement.to_dict())


@bp.post("/agreements/<int:agreement_id>/terminate")
@documented(
    "Terminate early from effective_on (the first day no longer covered); inside a closed "
    "month only with the student's union's override_reason (the reason is not one)",
    body=TerminateBody,
    responses={200: "Agreement", 409: "invalid_state, month_closed"},
)
@role_required("union_staff", "enterprise_staff")
def terminate(agreement_id: int):
    services.get_readable(current_actor(), agreement_id)
    data = parse_body(TerminateBody)
    agreement = changes.terminate_agreement(
        current_actor(),
        agreement_id,
        data.reason,
        data.effective_on,
        override_reason=data.override_reason,
    )
    return jsonify(agreement.to_dict())


@bp.patch("/agreements/<int:agreement_id>")
@documented(
    "Change an agreement: its terms and insurance (R37; union or enterprise) and, for the "
    "union only, ends_on (extend or shorten; R6 applies, and a change reaching a closed "
    "month needs the student's union's override_reason, R29). Only the fields sent change",
    body=AgreementPatch,
    responses={
        200: "Agreement",
        400: "validation_error (e.g. insured_to before insured_from)",
        403: "forbidden (ends_on from an enterprise)",
        409: "agreement_overlap, capacity_full, invalid_state, month_closed, conflict",
    },
)
@role_required("union_staff", "enterprise_staff")
def change(agreement_id: int):
    services.get_readable(current_actor(), agreement_id)
    data = parse_body(AgreementPatch)
    fields = sent_fields(data)
    agreement = changes.change_agreement(current_actor(), agreement_id, **fields)
    return jsonify(agreement.to_dict())


@bp.get("/students/<int:student_id>/matches")
@documented(
    "Partner enterprises ranked for a student, with score and reasons, best first",
    query={
        "starts_on": "period start (default today)",
        "ends_on": "period end (default about six months on)",
        "limit": "at most this many (default 20, max 100)",
    },
)
@role_required("union_staff")
def matches(student_id: int):
    get_or_404(managed_students(current_actor()), Student, student_id)
    limit = _id_arg("limit") or 20
    if limit > suggestions.MAX_SUGGESTIONS:
        raise ValidationError.field("limit", N_("最多 %(n)s。", n=suggestions.MAX_SUGGESTIONS))
    found = suggestions.suggest_enterprises(
        current_actor(), student_id, _date_arg("starts_on"), _date_arg("ends_on"), limit
    )
    return jsonify({"items": [s.to_dict() for s in found]})
