"""Reading certificates (R25): lists, the PDF download, public verification."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, or_, select

from .. import audit, clock
from ..agreements.models import Agreement
from ..auth import scope
from ..auth.models import User
from ..calendar.rules import add_months
from ..checkin.models import SessionMonth
from ..errors import Forbidden, NotFound
from ..extensions import db
from ..students.models import Student
from ..unions.models import Union
from ..unions.services import seal_png, union_path
from ..urls import external_url
from .certificate_fields import contact_line
from .certificate_pdf import certificate_pdf
from .certificates import certificate_student, refresh_status
from .documents import CertificateDoc, CertificateEntry, hours_value
from .downloads import Download
from .models import Certificate
from .rules import MAX_CERTIFICATE_MONTHS, is_plausible_code, mask_name, normalize_number


def _commit_if(changed: int) -> None:
    if changed:
        db.session.commit()


def list_certificates(actor: User, student_id: object) -> list[Certificate]:
    """Return a student's certificates, newest first, their status brought up to date."""
    student = certificate_student(actor, student_id)
    certificates = db.session.scalars(
        select(Certificate)
        .where(Certificate.student_id == student.id)
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
    ).all()
    _commit_if(refresh_status(certificates))
    return list(certificates)


def search_certificates(
    actor: User, q: str | None = None, limit: int = 100
) -> list[tuple[Certificate, Student]]:
    """Return recent certificates of the union's students, optionally by student name."""
    if actor.role != "union_staff":
        raise Forbidden()
    students = scope.managed_students(actor).with_only_columns(Student.id)
    stmt = (
        select(Certificate, Student)
        .join(Student, Student.id == Certificate.student_id)
        .where(Certificate.student_id.in_(students))
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
        .limit(limit)
    )
    if q:
        stmt = stmt.where(Student.name.contains(q.strip()[:50], autoescape=True))
    pairs = [(c, s) for c, s in db.session.execute(stmt)]
    _commit_if(refresh_status([c for c, _ in pairs]))
    return pairs


def _readable_certificate(actor: User, certificate_id: object) -> Certificate:
    if actor.role not in ("student", "union_staff"):
        raise Forbidden()
    students = scope.certificate_students(actor).with_only_columns(Student.id)
    stmt = select(Certificate).where(Certificate.student_id.in_(students))
    return scope.get_or_404(stmt, Certificate, certificate_id)


def verify_url(code: str) -> str:
    """Return the public verification address a certificate's QR code encodes."""
    return external_url(f"/verify/{code}")


def status_of(certificate: Certificate) -> str:
    """Return "genuine" or "superseded"."""
    return "superseded" if certificate.superseded_at is not None else "genuine"


def _issuer(certificate: Certificate) -> str:
    if certificate.issuer and certificate.issuer.get("union_name"):
        return certificate.issuer["union_name"]
    name = db.session.scalar(select(Union.name).where(Union.code == certificate.union_code))
    return name or ""


def issuer_of(certificate: Certificate) -> dict[str, Any]:
    """Return the issuer's fields as issued (a certificate from before R39: the union's now)."""
    if certificate.issuer:
        return dict(certificate.issuer)
    union = db.session.get(Union, certificate.union_code) if certificate.union_code else None
    return {
        "union_name": union.name if union else "",
        "leader_name": union.leader_name if union else None,
        "handler_name": None,
        "contact": contact_line(union),
    }


def _document(certificate: Certificate, student: Student) -> CertificateDoc:
    entries = [
        CertificateEntry(
            enterprise_name=e["enterprise_name"],
            site_names=list(e["site_names"]),
            first_day=date.fromisoformat(e["first_day"]),
            last_day=date.fromisoformat(e["last_day"]),
            minutes=int(e["minutes"]),
            service_content=e["service_content"],
        )
        for e in certificate.entries or []
    ]
    issuer = issuer_of(certificate)
    return CertificateDoc(
        code=certificate.code,
        kind=certificate.kind,
        student_name=student.name,
        id_number_masked=student.id_number_masked,
        university=student.university,
        from_month=certificate.from_month,
        to_month=certificate.to_month,
        total_minutes=certificate.minutes,
        entries=entries,
        issuing_union_name=issuer["union_name"],
        issued_on=clock.to_local(certificate.issued_at).date(),
        contact=issuer["contact"] or "",
        verify_url=verify_url(certificate.code),
        status=status_of(certificate),
        volunteer_number=certificate.volunteer_number,
        number=certificate.number or certificate.code,
        leader_name=issuer.get("leader_name"),
        handler_name=issuer.get("handler_name"),
        seal_png=seal_png(certificate.union_code),
        evaluations=list(certificate.evaluations or []),
    )


def download_certificate(actor: User, certificate_id: object) -> Download:
    """Render a certificate as PDF (watermarked once superseded), audit it; commits."""
    certificate = _readable_certificate(actor, certificate_id)
    refresh_status([certificate])
    student = db.session.get(Student, certificate.student_id)
    doc = _document(certificate, student)
    audit.record(
        actor,
        "downloaded",
        "certificate",
        certificate.id,
        after={"code": certificate.code, "status": doc.status},
        union_path=union_path(student.union_code),
    )
    db.session.commit()
    return Download(
        data=certificate_pdf(doc),
        filename=f"{doc.title}-{student.name}-{certificate.from_month}至{certificate.to_month}.pdf",
        ascii_filename=f"certificate-{certificate.id}.pdf",
        fmt="pdf",
    )


def find_certificate(code: object) -> Certificate:
    """Return a certificate by its QR code or its typed 证明编号 (404 when unknown)."""
    number = normalize_number(code)
    if not is_plausible_code(code) and number is None:
        raise NotFound()
    matches = []
    if is_plausible_code(code):
        matches.append(Certificate.code == code)
    if number is not None:
        matches.append(Certificate.number == number)
    certificate = db.session.scalars(select(Certificate).where(or_(*matches)).limit(1)).first()
    if certificate is None:
        raise NotFound()
    return certificate


def verify_certificate(code: object) -> dict[str, Any]:
    """Return the public facts of a certificate by its code or number (404 when unknown):
    never an ID number (R39)."""
    certificate = find_certificate(code)
    _commit_if(refresh_status([certificate]))
    name = db.session.scalar(select(Student.name).where(Student.id == certificate.student_id))
    return {
        "status": status_of(certificate),
        "student_name_masked": mask_name(name or ""),
        "from_month": certificate.from_month,
        "to_month": certificate.to_month,
        "hours": float(hours_value(certificate.minutes, 1)),
        "issued_on": clock.to_local(certificate.issued_at).date().isoformat(),
        "kind": certificate.kind,
        "issuer": _issuer(certificate),
        "issuer_name": _issuer(certificate),
        "number": certificate.number or certificate.code,
        "volunteer_number": certificate.volunteer_number,
        "superseded_on": (
            clock.to_local(certificate.superseded_at).date().isoformat()
            if certificate.superseded_at
            else None
        ),
    }


def certificate_to_dict(certificate: Certificate) -> dict[str, Any]:
    """Serialise a certificate for its owner and union staff."""
    return {
        "id": certificate.id,
        "student_id": certificate.student_id,
        "code": certificate.code,
        "kind": certificate.kind,
        "from_month": certificate.from_month,
        "to_month": certificate.to_month,
        "minutes": certificate.minutes,
        "hours": float(hours_value(certificate.minutes, 1)),
        "status": status_of(certificate),
        "issued_on": clock.to_local(certificate.issued_at).date().isoformat(),
        "verify_url": verify_url(certificate.code),
        "number": certificate.number or certificate.code,
        "volunteer_number": certificate.volunteer_number,
        "issuer": issuer_of(certificate),
    }


def student_with_confirmed_hours(kind: str = "volunteer") -> Student | None:
    """Return a student with confirmed hours of a kind (for demo data), if any."""
    stmt = (
        select(Student)
        .join(SessionMonth, SessionMonth.student_id == Student.id)
        .join(Agreement, Agreement.id == SessionMonth.agreement_id)
        .where(SessionMonth.status == "confirmed", Agreement.kind == kind)
        .group_by(Student.id)
        .having(func.sum(SessionMonth.minutes) > 0)
        .order_by(Student.id)
        .limit(1)
    )
    return db.session.scalars(stmt).first()


def confirmed_months(student_id: int) -> list[str]:
    """Return the months in which a student has confirmed minutes, oldest first."""
    stmt = (
        select(SessionMonth.month)
        .where(SessionMonth.student_id == student_id, SessionMonth.status == "confirmed")
        .group_by(SessionMonth.month)
        .order_by(SessionMonth.month)
    )
    return list(db.session.scalars(stmt))


def students_named(actor: User, q: str, limit: int = 20) -> list[Student]:
    """Return students whose certificates the actor may issue, matching a name or phone."""
    q = (q or "").strip()[:50]
    if not q:
        return []
    stmt = (
        scope.certificate_students(actor)
        .where(Student.name.contains(q, autoescape=True) | Student.phone.startswith(q))
        .order_by(Student.name, Student.id)
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def default_period(student_id: int, today: date) -> tuple[str, str]:
    """Return a sensible period to offer: the first month with confirmed hours to now."""
    months = confirmed_months(student_id)
    current = f"{today.year:04d}-{today.month:02d}"
    first = months[0] if months else current
    return max(first, add_months(current, -(MAX_CERTIFICATE_MONTHS - 1))), current
