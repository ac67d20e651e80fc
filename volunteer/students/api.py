"""JSON routes for aided students (API.md "Registry")."""

from __future__ import annotations

from typing import Annotated

from flask import Blueprint, jsonify, request
from pydantic import Field, StringConstraints

from ..auth.scope import current_actor, role_required
from ..errors import N_, ValidationError
from ..jsonapi import (
    Body,
    Password,
    Text100,
    Username,
    documented,
    page_args,
    parse_body,
    sent_fields,
)
from . import import_jobs, services
from .serialize import student_dict

bp = Blueprint("students_api", __name__, url_prefix="/api/v1")

# Loose lengths here: the exact rules (checksums, lengths per field) live in rules.py.
IdText = Annotated[str, StringConstraints(max_length=40)]
PhoneText = Annotated[str, StringConstraints(max_length=30)]
Text50 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=50)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
Year = Annotated[int, Field(ge=1990, le=2100)]
MAX_UPLOAD_NAME = 255


class StudentBody(Body):
    name: Text100
    id_number: IdText
    phone: PhoneText
    university: Text100
    major: Text100 | None = None
    enrollment_year: Year | None = None
    home_city: Text50 | None = None
    university_city: Text50 | None = None
    family_hardship: LongText | None = None
    union_code: Text100
    username: Username
    password: Password
    volunteer_number: Text50 | None = None


class StudentPatch(Body):
    """The fields a PATCH may change; only those sent change (model_fields_set)."""

    volunteer_number: Text50 | None = None
    phone: PhoneText | None = None
    university: Text100 | None = None
    major: Text100 | None = None
    home_city: Text50 | None = None


@bp.post("/students")
@documented(
    "Register an aided student and their account (initial password)",
    body=StudentBody,
    responses={201: "Created Student", 409: "duplicate"},
)
@role_required("union_staff")
def create_student():
    data = parse_body(StudentBody)
    fields = data.model_dump(exclude={"username", "password"})
    student = services.create_student(
        current_actor(), username=data.username, password=data.password, **fields
    )
    user_id = services.get_student(current_actor(), student.id)[1]
    return jsonify(student_dict(student, user_id, current_actor())), 201


@bp.get("/students")
@documented(
    "Students in the caller's scope (q matches name or phone)",
    query={
        "union_code": "a union in scope (its subtree)",
        "q": "name or phone",
        "page": "from 1",
        "per_page": "default 50, at most 500",
    },
)
@role_required("union_staff")
def list_students():
    page, per_page = page_args()
    found = services.search_students(
        current_actor(),
        q=request.args.get("q"),
        union_code=request.args.get("union_code") or None,
        page=page,
        per_page=per_page,
    )
    actor = current_actor()
    return jsonify(
        {
            "items": [student_dict(s, uid, actor) for s, uid in found.items],
            "total": found.total,
            "page": found.page,
            "per_page": found.per_page,
        }
    )


@bp.get("/students/<int:student_id>")
@documented("One student: union staff in scope, the student, or an enterprise under agreement")
@role_required("union_staff", "enterprise_staff", "student")
def get_student(student_id: int):
    actor = current_actor()
    student, user_id = services.get_student(actor, student_id)
    return jsonify(student_dict(student, user_id, actor))


@bp.patch("/students/<int:student_id>")
@documented(
    "Change a student's volunteer number, phone, university, major or home city; audited",
    body=StudentPatch,
    responses={200: "Student", 400: "validation_error naming the field"},
)
@role_required("union_staff")
def update_student(student_id: int):
    actor = current_actor()
    services.get_managed(actor, student_id)
    data = parse_body(StudentPatch)
    changes = sent_fields(data)
    student = services.update_student(actor, student_id, **changes)
    user_id = services.get_student(actor, student.id)[1]
    return jsonify(student_dict(student, user_id, actor))


@bp.get("/students/<int:student_id>/id-number")
@documented("Reveal a student's full ID number (union staff in scope; audited)")
@role_required("union_staff")
def reveal_id_number(student_id: int):
    number = services.reveal_id_number(current_actor(), student_id)
    response = jsonify({"id_number": number})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/students/import")
@documented(
    "Import students from .xlsx or .csv (all or nothing)",
    multipart=True,
    responses={
        201: "{created: N}",
        202: "{job: Job}: a large file, imported in the background",
        400: "import_invalid with rows; import_too_large without a job queue",
    },
)
@role_required("union_staff")
def import_students():
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ValidationError.field("file", N_("请上传文件（表单字段 file）。"))
    filename = upload.filename[-MAX_UPLOAD_NAME:]
    outcome = import_jobs.import_or_enqueue(current_actor(), filename, upload.read())
    if outcome.job is not None:
        return jsonify({"job": outcome.job.to_dict()}), 202
    return jsonify({"created": outcome.created}), 201
