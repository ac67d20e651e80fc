"""The response bodies of the OpenAPI document: API.md's objects and who answers with them.

Fields are those API.md lists (more are allowed: the contract says extra fields are
welcome), so a fuzzer validating answers against the document checks the contract.
"""

from __future__ import annotations

from typing import Any

from .compliance.rules import STATUSES

INT: dict[str, Any] = {"type": "integer"}
NUM: dict[str, Any] = {"type": "number"}
STR: dict[str, Any] = {"type": "string"}
BOOL: dict[str, Any] = {"type": "boolean"}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """Allow null as well (OpenAPI 3.1 / JSON Schema type lists)."""
    return {**schema, "type": [schema["type"], "null"]}


def enum(*values: str) -> dict[str, Any]:
    """A string from a fixed set."""
    return {"type": "string", "enum": list(values)}


def obj(**fields: dict[str, Any]) -> dict[str, Any]:
    """An object with these fields, all required."""
    return {"type": "object", "required": sorted(fields), "properties": fields}


def ref(name: str) -> dict[str, Any]:
    """A reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def page_of(item: dict[str, Any]) -> dict[str, Any]:
    """A paginated list (API.md "Lists")."""
    return obj(items={"type": "array", "items": item}, total=INT, page=INT, per_page=INT)


# R19's order, from the rules that decide them (the document never restates them).
MONTH_STATUSES = STATUSES
MODELS: dict[str, dict[str, Any]] = {
    "User": obj(
        id=INT,
        username=STR,
        role=enum("union_staff", "enterprise_staff", "student"),
        name=STR,
        union_code=nullable(STR),
        enterprise_id=nullable(INT),
        student_id=nullable(INT),
        must_change_password=BOOL,
    ),
    "Union": obj(code=STR, name=STR, parent_code=nullable(STR)),
    "Student": obj(
        id=INT,
        name=STR,
        id_number_masked=nullable(STR),  # null for enterprise staff: no ID at all
        phone=STR,
        university=STR,
        major=nullable(STR),
        enrollment_year=nullable(INT),
        home_city=nullable(STR),
        union_code=STR,
        user_id=nullable(INT),
        volunteer_number=nullable(STR),
    ),
    "Enterprise": obj(
        id=INT,
        name=STR,
        credit_code=STR,
        union_code=STR,
        city=nullable(STR),
        industry=nullable(STR),
        address=nullable(STR),
        capacity=INT,
        contact_name=nullable(STR),
        contact_phone=nullable(STR),
    ),
    "Site": obj(
        id=INT,
        enterprise_id=INT,
        name=STR,
        address=nullable(STR),
        latitude=nullable(NUM),
        longitude=nullable(NUM),
        radius_m=nullable(NUM),
        is_active=BOOL,
    ),
    "Agreement": obj(
        id=INT,
        student_id=INT,
        enterprise_id=INT,
        kind=enum("volunteer", "internship"),
        starts_on=STR,
        ends_on=STR,
        monthly_hours=INT,
        allow_workdays=BOOL,
        status=enum("pending", "scheduled", "active", "ended", "terminated"),
        student_signed_at=nullable(STR),
        enterprise_signed_at=nullable(STR),
        service_content=nullable(STR),
        safety_measures=nullable(STR),
        insurer=nullable(STR),
        policy_number=nullable(STR),
        insured_from=nullable(STR),
        insured_to=nullable(STR),
    ),
    "Evaluation": obj(
        id=INT,
        agreement_id=INT,
        student_id=INT,
        enterprise_id=INT,
        month=STR,
        rating=INT,
        comment=nullable(STR),
    ),
    "Record": obj(
        id=INT,
        student_id=INT,
        kind=enum("training", "award"),
        title=STR,
        on=STR,
        hours=nullable(NUM),
        issuer=nullable(STR),
    ),
    "Session": obj(
        id=INT,
        student_id=INT,
        enterprise_id=INT,
        site_id=INT,
        agreement_id=INT,
        check_in_at=STR,
        check_out_at=nullable(STR),
        minutes=INT,
        status=enum("open", "pending", "confirmed", "rejected", "auto_closed"),
        flags={"type": "array", "items": STR},
        reason=nullable(STR),
    ),
    "MonthRow": obj(
        student_id=INT,
        student_name=STR,
        month=STR,
        required_minutes=INT,
        confirmed_minutes=INT,
        pending_minutes=INT,
        exempt_minutes=INT,
        status=enum(*MONTH_STATUSES),
        allowed_days_left=INT,
        needed_minutes=INT,
    ),
}

_SCAN = obj(result=enum("checked_in", "checked_out"), session=ref("Session"))
_AUDIT = obj(
    at=STR,
    actor=nullable(STR),
    action=STR,
    entity=STR,
    entity_id=nullable(STR),
    before={},
    after={},
)
_COMPLIANCE = {
    **page_of(ref("MonthRow")),
    "required": ["items", "month", "page", "per_page", "summary", "total"],
}
_COMPLIANCE["properties"] = {
    **_COMPLIANCE["properties"],
    "month": STR,
    "summary": obj(compliance_rate=nullable(NUM), unmatched=INT),
}

# (method, path under /api/v1) → {status: body schema}
BODIES: dict[tuple[str, str], dict[int, dict[str, Any]]] = {
    ("post", "/tokens"): {201: obj(token=STR, user=ref("User"))},
    ("get", "/me"): {200: ref("User")},
    ("post", "/unions"): {201: ref("Union")},
    ("get", "/unions"): {200: page_of(ref("Union"))},
    ("post", "/unions/{code}/staff"): {201: ref("User")},
    ("post", "/students"): {201: ref("Student")},
    ("get", "/students"): {200: page_of(ref("Student"))},
    ("get", "/students/{student_id}"): {200: ref("Student")},
    ("get", "/students/{student_id}/id-number"): {200: obj(id_number=STR)},
    ("post", "/students/import"): {201: obj(created=INT)},
    ("get", "/students/{student_id}/matches"): {
        200: obj(
            items={
                "type": "array",
                "items": obj(
                    enterprise=ref("Enterprise"), score=NUM, reasons={"type": "array", "items": STR}
                ),
            }
        )
    },
    ("post", "/enterprises"): {201: ref("Enterprise")},
    ("get", "/enterprises"): {200: page_of(ref("Enterprise"))},
    ("get", "/enterprises/{enterprise_id}"): {200: ref("Enterprise")},
    ("patch", "/enterprises/{enterprise_id}"): {200: ref("Enterprise")},
    ("post", "/enterprises/{enterprise_id}/sites"): {201: ref("Site")},
    ("get", "/enterprises/{enterprise_id}/sites"): {200: page_of(ref("Site"))},
    ("patch", "/sites/{site_id}"): {200: ref("Site")},
    ("post", "/enterprises/{enterprise_id}/staff"): {201: ref("User")},
    ("get", "/enterprises/{enterprise_id}/staff"): {200: page_of(ref("User"))},
    ("post", "/agreements"): {201: ref("Agreement")},
    ("get", "/agreements"): {200: page_of(ref("Agreement"))},
    ("get", "/agreements/{agreement_id}"): {200: ref("Agreement")},
    ("post", "/agreements/{agreement_id}/sign"): {200: ref("Agreement")},
    ("post", "/agreements/{agreement_id}/terminate"): {200: ref("Agreement")},
    ("get", "/sites/{site_id}/qr"): {200: obj(token=STR, url=STR, expires_at=STR)},
    ("get", "/sites/{site_id}/poster"): {200: obj(token=STR, url=STR)},
    ("post", "/scan"): {200: _SCAN, 201: _SCAN},
    ("get", "/sessions"): {200: page_of(ref("Session"))},
    ("post", "/sessions"): {201: ref("Session")},
    ("get", "/sessions/{session_id}"): {200: ref("Session")},
    ("post", "/sessions/confirm"): {200: obj(confirmed=INT)},
    ("post", "/sessions/{session_id}/confirm"): {200: ref("Session")},
    ("post", "/sessions/{session_id}/reject"): {200: ref("Session")},
    ("post", "/sessions/{session_id}/adjust"): {200: ref("Session")},
    ("post", "/sessions/{session_id}/corrections"): {201: obj(id=INT, status=STR)},
    ("get", "/compliance"): {200: _COMPLIANCE},
    ("get", "/students/{student_id}/months/{month}"): {200: ref("MonthRow")},
    ("post", "/exemptions"): {201: obj(id=INT, student_id=INT, month=STR, minutes=INT, reason=STR)},
    ("post", "/unions/{code}/months/{month}/close"): {
        200: obj(month=STR, union_code=STR, closed_at=STR)
    },
    ("get", "/calendar"): {
        200: obj(
            items={
                "type": "array",
                "items": obj(
                    date=STR,
                    kind=enum("rest", "work"),
                    source=enum("official", "override", "weekend"),
                ),
            }
        )
    },
    ("post", "/students/{student_id}/certificates"): {
        201: obj(
            id=INT,
            code=STR,
            verify_url=STR,
            hours=NUM,
            number=STR,
            volunteer_number=nullable(STR),
            issuer=obj(
                union_name=STR,
                leader_name=nullable(STR),
                handler_name=nullable(STR),
                contact=nullable(STR),
            ),
        )
    },
    ("get", "/certificates/verify/{code}"): {
        200: obj(
            status=enum("genuine", "superseded"),
            student_name_masked=STR,
            from_month=STR,
            to_month=STR,
            hours=NUM,
            issued_on=STR,
            volunteer_number=nullable(STR),
            issuer_name=STR,
        )
    },
    ("get", "/audit"): {200: page_of(_AUDIT)},
    # Records (R37–R40)
    ("patch", "/students/{student_id}"): {200: ref("Student")},
    ("patch", "/agreements/{agreement_id}"): {200: ref("Agreement")},
    ("put", "/unions/{code}/profile"): {
        200: obj(
            code=STR,
            name=STR,
            leader_name=nullable(STR),
            contact=nullable(STR),
            require_insurance=BOOL,
        )
    },
    ("post", "/agreements/{agreement_id}/evaluations"): {201: ref("Evaluation")},
    ("get", "/students/{student_id}/evaluations"): {200: page_of(ref("Evaluation"))},
    ("post", "/students/{student_id}/records"): {201: ref("Record")},
    ("get", "/students/{student_id}/records"): {200: page_of(ref("Record"))},
}
