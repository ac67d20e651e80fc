"""JSON routes for reports, attestations and certificates (API.md "Reports")."""

from __future__ import annotations

from typing import Annotated, Literal

from flask import Blueprint, jsonify
from pydantic import StringConstraints

from ..auth.scope import current_actor, role_required
from ..jsonapi import Body, documented, parse_body
from . import services
from .downloads import attachment
from .enterprise_reports import report_to_dict

bp = Blueprint("reports_api", __name__, url_prefix="/api/v1")

Month = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=7)]
FILE = {200: "The file, as an attachment (Content-Disposition with an RFC 5987 name)"}


class CertificateBody(Body):
    from_month: Month
    to_month: Month
    kind: Literal["volunteer", "internship"] | None = None


@bp.get("/enterprises/<int:enterprise_id>/reports/<month>.<any(csv, xlsx, pdf):fmt>")
@documented(
    "Download an enterprise's monthly report: CSV (UTF-8 with BOM), XLSX or PDF; audited",
    responses=FILE,
)
@role_required("enterprise_staff", "union_staff")
def enterprise_report_file(enterprise_id: int, month: str, fmt: str):
    download = services.download_enterprise_report(current_actor(), enterprise_id, month, fmt)
    return attachment(download)


@bp.get("/enterprises/<int:enterprise_id>/reports/<month>")
@documented("An enterprise's monthly report as JSON (minutes)")
@role_required("enterprise_staff", "union_staff")
def enterprise_report(enterprise_id: int, month: str):
    report = services.build_enterprise_report(current_actor(), enterprise_id, month)
    return jsonify(report_to_dict(enterprise_id, report))


@bp.post("/enterprises/<int:enterprise_id>/reports/<month>/attest")
@documented(
    "Attest (签字确认) the month's roster once the month is over and every session in it "
    "is settled; a repeat of a current attestation answers the same 200 (`created` "
    "false); a stale one is attested again",
    responses={
        200: "Attestation",
        409: "month_not_over, unresolved_sessions (error.sessions: the ids to settle)",
    },
)
@role_required("enterprise_staff")
def attest(enterprise_id: int, month: str):
    attestation, created = services.attest_month(current_actor(), enterprise_id, month)
    body = services.attestation_to_dict(attestation, attestation.enterprise_id, attestation.month)
    return jsonify(body | {"created": created})


@bp.get("/enterprises/<int:enterprise_id>/reports/<month>/attestation")
@documented("An enterprise's attestation of a month: none, current or stale (R30)")
@role_required("enterprise_staff", "union_staff")
def attestation(enterprise_id: int, month: str):
    return jsonify(services.attestation_state(current_actor(), enterprise_id, month))


@bp.get("/unions/<code>/reports/<month>.<any(csv, xlsx):fmt>")
@documented(
    "Download a union's monthly summary: CSV (UTF-8 with BOM) or XLSX; audited", responses=FILE
)
@role_required("union_staff")
def union_summary_file(code: str, month: str, fmt: str):
    return attachment(services.download_union_summary(current_actor(), code, month, fmt))


@bp.get("/unions/<code>/reports/<month>")
@documented("A union's monthly summary as JSON: per child union, per enterprise, 12 months")
@role_required("union_staff")
def union_summary(code: str, month: str):
    summary = services.build_union_summary(current_actor(), code, month)
    return jsonify(services.summary_to_dict(summary))


@bp.post("/students/<int:student_id>/certificates")
@documented(
    "Issue a certificate of confirmed hours for a span of months (≤ 24, not in the "
    "future); volunteer and internship hours are certified apart (`kind`, default "
    "volunteer when the period has any)",
    body=CertificateBody,
    responses={201: "Issued", 409: "invalid_state (no confirmed hours of that kind)"},
)
@role_required("student", "union_staff")
def issue_certificate(student_id: int):
    actor = current_actor()
    student = services.certificate_student(actor, student_id)
    data = parse_body(CertificateBody)
    certificate = services.issue_certificate(
        actor, student.id, data.from_month, data.to_month, data.kind
    )
    return jsonify(services.certificate_to_dict(certificate)), 201


@bp.get("/students/<int:student_id>/certificates")
@documented("A student's certificates, newest first")
@role_required("student", "union_staff")
def list_certificates(student_id: int):
    items = [
        services.certificate_to_dict(c)
        for c in services.list_certificates(current_actor(), student_id)
    ]
    return jsonify({"items": items, "total": len(items), "page": 1, "per_page": len(items)})


@bp.get("/certificates/<int:certificate_id>.pdf")
@documented("Download a certificate as PDF (watermarked when superseded); audited", responses=FILE)
@role_required("student", "union_staff")
def certificate_pdf(certificate_id: int):
    return attachment(services.download_certificate(current_actor(), certificate_id))


@bp.get("/certificates/verify/<code>")
@documented(
    "Verify a certificate by its code: genuine or superseded",
    public=True,
    responses={200: "Known certificate", 404: "Unknown code"},
)
def verify(code: str):
    return jsonify(services.verify_certificate(code))
