"""JSON routes for records (API.md "Records"): evaluations, trainings and awards, the
national export."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from flask import Blueprint, jsonify
from pydantic import StringConstraints

from ..agreements.models import Agreement
from ..auth import scope
from ..auth.scope import current_actor, role_required
from ..jsonapi import Body, documented, parse_body
from ..reports.downloads import attachment
from ..students.models import Student
from . import exports, services

bp = Blueprint("records_api", __name__, url_prefix="/api/v1")

Month = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=7)]
# Loose here; the exact limits live in rules.py.
Text = Annotated[str, StringConstraints(max_length=2000)]


class EvaluationBody(Body):
    month: Month
    rating: int
    comment: Text | None = None


class RecordBody(Body):
    kind: Literal["training", "award"]
    title: Text
    on: date
    hours: float | None = None
    issuer: Text | None = None


def _listing(items: list[dict]) -> dict:
    return {"items": items, "total": len(items), "page": 1, "per_page": max(len(items), 1)}


@bp.post("/agreements/<int:agreement_id>/evaluations")
@documented(
    "Evaluate the agreement's student for a month (rating 1–5, comment); one per month",
    body=EvaluationBody,
    responses={201: "Evaluation", 400: "validation_error (rating, month)", 409: "duplicate"},
)
@role_required("enterprise_staff")
def create_evaluation(agreement_id: int):
    actor = current_actor()
    scope.get_or_404(scope.agreements(actor), Agreement, agreement_id)
    data = parse_body(EvaluationBody)
    evaluation = services.evaluate(actor, agreement_id, data.month, data.rating, data.comment)
    return jsonify(evaluation.to_dict()), 201


@bp.get("/students/<int:student_id>/evaluations")
@documented("A student's evaluations: the union and the student all, an enterprise its own")
@role_required("union_staff", "student", "enterprise_staff")
def list_evaluations(student_id: int):
    items = services.student_evaluations(current_actor(), student_id)
    return jsonify(_listing([e.to_dict() for e in items]))


@bp.post("/students/<int:student_id>/records")
@documented(
    "Record a training or an award of a student (the student's union)",
    body=RecordBody,
    responses={201: "Record", 400: "validation_error"},
)
@role_required("union_staff")
def create_record(student_id: int):
    actor = current_actor()
    scope.get_or_404(scope.managed_students(actor), Student, student_id)
    data = parse_body(RecordBody)
    record = services.add_record(actor, student_id, **data.model_dump())
    return jsonify(record.to_dict()), 201


@bp.get("/students/<int:student_id>/records")
@documented("A student's trainings and awards, newest first")
@role_required("union_staff", "student")
def list_records(student_id: int):
    items = services.student_records(current_actor(), student_id)
    return jsonify(_listing([r.to_dict() for r in items]))


@bp.get("/unions/<code>/exports/volunteer-records/<month>.xlsx")
@documented(
    "The national-system sheet of a month that is over (R40): volunteer hours only, full "
    "ID numbers; rows are marked exported; audited",
    responses={200: "The XLSX file", 409: "month_not_over"},
)
@role_required("union_staff")
def national_export(code: str, month: str):
    return attachment(exports.download_export(current_actor(), code, month))
