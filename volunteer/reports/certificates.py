"""Certificates of service (R25): issue, list, download, verify, supersede."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, and_, or_, select

from .. import audit, clock, events
from ..agreements.models import Agreement
from ..auth import scope
from ..auth.models import User
from ..auth.services import commit_or_conflict
from ..calendar.rules import month_bounds
from ..checkin.models import ServiceSession, SessionMonth
from ..enterprises.models import Enterprise, Site
from ..errors import N_, Conflict, Forbidden
from ..extensions import db
from ..students.models import Student
from ..unions.services import union_path
from .certificate_fields import evaluations_snapshot, issuer_snapshot
from .models import Certificate
from .rules import (
    certificate_months,
    choose_kind,
    hours_fingerprint,
    new_certificate_code,
    new_certificate_number,
    parse_kind,
    service_content,
)

SUPERSEDED_REASON = "所证明的服务时长已变更。"


@dataclass(frozen=True)
class ConfirmedPart:
    """One confirmed session's minutes inside one month, with where it was served."""

    session_id: int
    month: str
    minutes: int
    kind: str
    enterprise_id: int
    enterprise_name: str
    industry: str | None
    site_name: str
    check_in_at: datetime
    check_out_at: datetime | None
    agreement_content: str | None = None


def _confirmed_stmt(student_ids: Iterable[int], first: str, last: str) -> Select:
    return (
        select(
            SessionMonth.student_id,
            SessionMonth.session_id,
            SessionMonth.month,
            SessionMonth.minutes,
            Agreement.kind,
        )
        .join(Agreement, Agreement.id == SessionMonth.agreement_id)
        .where(
            SessionMonth.student_id.in_(list(student_ids)),
            SessionMonth.status == "confirmed",
            SessionMonth.month >= first,
            SessionMonth.month <= last,
        )
    )


def _fingerprints(certificates: Sequence[Certificate]) -> dict[int, str]:
    """Recompute each certificate's fingerprint from the confirmed rows, in one query."""
    if not certificates:
        return {}
    first = min(c.from_month for c in certificates)
    last = max(c.to_month for c in certificates)
    rows: dict[int, list[tuple[str, int, str, int]]] = defaultdict(list)
    stmt = _confirmed_stmt({c.student_id for c in certificates}, first, last)
    for student_id, session_id, month, minutes, kind in db.session.execute(stmt):
        rows[student_id].append((month, session_id, kind, minutes))
    return {
        c.id: hours_fingerprint(
            (sid, month, minutes)
            for month, sid, kind, minutes in rows[c.student_id]
            if kind == c.kind and c.from_month <= month <= c.to_month
        )
        for c in certificates
    }


def refresh_status(certificates: Sequence[Certificate], now: datetime | None = None) -> int:
    """Mark superseded the certificates whose confirmed hours have changed (no commit)."""
    current = [c for c in certificates if c.superseded_at is None]
    now = now or clock.now()
    fingerprints = _fingerprints(current)
    changed = 0
    superseded: list[Certificate] = []
    for certificate in current:
        if fingerprints[certificate.id] != certificate.fingerprint:
            certificate.superseded_at = now
            certificate.superseded_reason = SUPERSEDED_REASON
            changed += 1
            superseded.append(certificate)
    if superseded:
        db.session.flush()
    for certificate in superseded:
        events.certificate_superseded.send(certificate.id, student_id=certificate.student_id)
    return changed


def supersede_affected(student_id: int, months: Iterable[str]) -> int:
    """Mark superseded the student's current certificates covering any of `months` whose
    hours have changed; called before the change is committed (does not commit)."""
    months = sorted(set(months))
    if not months:
        return 0
    covering = or_(*(and_(Certificate.from_month <= m, Certificate.to_month >= m) for m in months))
    certificates = db.session.scalars(
        select(Certificate).where(
            Certificate.student_id == student_id,
            Certificate.superseded_at.is_(None),
            covering,
        )
    ).all()
    return refresh_status(certificates)


# --- issuing ------------------------------------------------------------------------


def _parts(student_id: int, first: str, last: str) -> list[ConfirmedPart]:
    """Return the student's confirmed minutes per session and month, oldest first."""
    stmt = (
        select(
            SessionMonth.session_id,
            SessionMonth.month,
            SessionMonth.minutes,
            Agreement.kind,
            Enterprise.id,
            Enterprise.name,
            Enterprise.industry,
            Site.name,
            ServiceSession.check_in_at,
            ServiceSession.check_out_at,
            Agreement.service_content,
        )
        .join(Agreement, Agreement.id == SessionMonth.agreement_id)
        .join(ServiceSession, ServiceSession.id == SessionMonth.session_id)
        .join(Site, Site.id == ServiceSession.site_id)
        .join(Enterprise, Enterprise.id == SessionMonth.enterprise_id)
        .where(
            SessionMonth.student_id == student_id,
            SessionMonth.status == "confirmed",
            SessionMonth.month >= first,
            SessionMonth.month <= last,
        )
        .order_by(ServiceSession.check_in_at, SessionMonth.month)
    )
    return [ConfirmedPart(*row) for row in db.session.execute(stmt)]


def _days(part: ConfirmedPart) -> tuple[date, date]:
    """Return the local days of a part, clipped to its month (a split session, R15)."""
    first, last = month_bounds(part.month)
    start = clock.to_local(part.check_in_at).date()
    end = clock.to_local(part.check_out_at).date() if part.check_out_at else start
    return min(max(start, first), last), max(min(end, last), first)


def _entries(parts: Iterable[ConfirmedPart]) -> list[dict[str, Any]]:
    """Group parts by enterprise, in the order they were first served there."""
    entries: dict[int, dict[str, Any]] = {}
    for part in parts:
        start, end = _days(part)
        entry = entries.setdefault(
            part.enterprise_id,
            {
                "enterprise_name": part.enterprise_name,
                "site_names": [],
                "first_day": start,
                "last_day": end,
                "minutes": 0,
                # R39: the agreement's own words when it has them (R37).
                "service_content": part.agreement_content
                or service_content(part.kind, part.industry),
            },
        )
        if part.site_name not in entry["site_names"]:
            entry["site_names"].append(part.site_name)
        entry["first_day"] = min(entry["first_day"], start)
        entry["last_day"] = max(entry["last_day"], end)
        entry["minutes"] += part.minutes
    return [
        entry
        | {
            "first_day": entry["first_day"].isoformat(),
            "last_day": entry["last_day"].isoformat(),
        }
        for entry in entries.values()
    ]


def _no_hours(kind: str | None) -> Conflict:
    word = N_("实习") if kind == "internship" else N_("志愿服务")
    return Conflict(
        "invalid_state", N_("所选期间没有已确认的%(word)s时长，无法出具证明。", word=word)
    )


def issue_for(
    actor: User | None, student: Student, months: list[str], kind: str | None, now: datetime
) -> Certificate:
    """Issue a certificate for a loaded student and checked months; commits."""
    parts = _parts(student.id, months[0], months[-1])
    by_kind: dict[str, int] = defaultdict(int)
    for part in parts:
        by_kind[part.kind] += part.minutes
    kind = choose_kind(kind, by_kind)
    if kind is None or by_kind.get(kind, 0) <= 0:
        raise _no_hours(kind)
    chosen = [part for part in parts if part.kind == kind]
    issued_on = clock.to_local(now).date()
    certificate = Certificate(
        code=new_certificate_code(),
        number=new_certificate_number(kind, issued_on),
        volunteer_number=student.volunteer_number,
        issuer=issuer_snapshot(actor, student.union_code),
        evaluations=(
            evaluations_snapshot(student.id, kind, months[0], months[-1])
            if kind == "internship"
            else None
        ),
        student_id=student.id,
        kind=kind,
        from_month=months[0],
        to_month=months[-1],
        minutes=sum(part.minutes for part in chosen),
        fingerprint=hours_fingerprint((p.session_id, p.month, p.minutes) for p in chosen),
        union_code=student.union_code,
        entries=_entries(chosen),
        issued_at=now,
        issued_by_id=getattr(actor, "id", None),
    )
    db.session.add(certificate)
    db.session.flush()
    audit.record(
        actor,
        "issued",
        "certificate",
        certificate.id,
        after={
            "student_id": student.id,
            "code": certificate.code,
            "number": certificate.number,
            "kind": kind,
            "from_month": months[0],
            "to_month": months[-1],
            "minutes": certificate.minutes,
        },
        union_path=union_path(student.union_code),
    )
    commit_or_conflict()
    return certificate


def certificate_student(actor: User, student_id: object) -> Student:
    """Load a student whose certificates the actor may issue and read (403/404)."""
    if actor.role not in ("student", "union_staff"):
        raise Forbidden()
    return scope.get_or_404(scope.certificate_students(actor), Student, student_id)


def issue_certificate(
    actor: User,
    student_id: object,
    from_month: object,
    to_month: object,
    kind: object = None,
    *,
    now: datetime | None = None,
) -> Certificate:
    """Issue a certificate of a student's confirmed hours of one kind for a span of months."""
    now = now or clock.now()
    student = certificate_student(actor, student_id)
    requested = parse_kind(kind)
    months = certificate_months(from_month, to_month, clock.to_local(now).date())
    return issue_for(actor, student, months, requested, now)
