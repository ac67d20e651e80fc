"""shared_device (R42): found at the scan that completes the evidence — one phone used
by two or more students within 30 days; one open anomaly per device gathers them."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, select

from .. import audit, clock
from ..checkin.attempts import SUCCESS_RESULTS
from ..checkin.models import ScanAttempt, ServiceSession
from ..checkin.sessions import audit_paths
from ..extensions import db
from . import rules
from .models import Anomaly, AnomalyStudent

# The one statement every scan with a device id pays: is another student on this device?
# (index ix_scan_attempts_device_at; the scan's own attempt is already inserted).
_OTHER_STUDENT = (
    select(ScanAttempt.id)
    .where(
        ScanAttempt.device_id == bindparam("device_id"),
        ScanAttempt.at > bindparam("since", type_=ScanAttempt.at.type),
        ScanAttempt.student_id != bindparam("student_id"),
        ScanAttempt.result.in_(SUCCESS_RESULTS),
    )
    .limit(1)
)


def note_scan(
    session_id: int, *, student_id: int, device_id: str | None, at: datetime, **_: object
) -> None:
    """React to a recorded scan: queue or extend the device's shared_device anomaly."""
    if not device_id:
        return
    since = at - timedelta(days=rules.SHARED_DEVICE_DAYS)
    params = {"device_id": device_id, "since": since, "student_id": student_id}
    if db.session.execute(_OTHER_STUDENT, params).first() is None:
        return
    record_shared_device(device_id, since, at)


def _iso(value: datetime) -> str:
    return clock.to_local(value).isoformat(timespec="seconds")


def _device_scans(device_id: str, since: datetime) -> list[tuple]:
    rows = db.session.execute(
        select(
            ScanAttempt.student_id,
            ScanAttempt.session_id,
            ScanAttempt.at,
            ScanAttempt.site_id,
            ServiceSession.enterprise_id,
        )
        .join(ServiceSession, ServiceSession.id == ScanAttempt.session_id)
        .where(
            ScanAttempt.device_id == device_id,
            ScanAttempt.at > since,
            ScanAttempt.result.in_(SUCCESS_RESULTS),
        )
        .order_by(ScanAttempt.at, ScanAttempt.id)
    )
    return list(rows)


def record_shared_device(device_id: str, since: datetime, now: datetime) -> Anomaly | None:
    """Create or extend the device's open anomaly from its last 30 days of scans; no
    commit (the scan commits). A resolved anomaly that already named every student is
    not reopened."""
    scans = _device_scans(device_id, since)
    student_ids = sorted({row[0] for row in scans})
    if len(student_ids) < 2:
        return None
    latest = db.session.scalars(
        select(Anomaly).where(Anomaly.device_id == device_id).order_by(Anomaly.id.desc()).limit(1)
    ).first()
    if (
        latest is not None
        and latest.status != "open"
        and set(student_ids) <= set(latest.student_ids)
    ):
        return None
    anomaly = latest if latest is not None and latest.status == "open" else None
    enterprises = {row[4] for row in scans}
    session_ids = sorted({row[1] for row in scans})
    evidence = {
        "device_id": device_id,
        "scans": [
            {"student_id": r[0], "session_id": r[1], "at": _iso(r[2]), "site_id": r[3]}
            for r in scans[-50:]
        ],
        "first_at": _iso(scans[0][2]),
        "last_at": _iso(scans[-1][2]),
        "days": rules.SHARED_DEVICE_DAYS,
    }
    created = anomaly is None
    if created:
        anomaly = Anomaly(kind="shared_device", status="open", device_id=device_id, detected_at=now)
        db.session.add(anomaly)
        known: set[int] = set()
        before = None
    else:
        known = set(anomaly.student_ids)
        before = {"student_ids": sorted(known), "session_ids": anomaly.session_ids}
        session_ids = sorted(set(anomaly.session_ids or []) | set(session_ids))
    for sid in student_ids:
        if sid not in known:
            anomaly.students.append(AnomalyStudent(student_id=sid))
    anomaly.session_ids = session_ids
    anomaly.evidence = evidence
    anomaly.enterprise_id = next(iter(enterprises)) if len(enterprises) == 1 else None
    anomaly.updated_at = now
    db.session.flush()
    audit.record(
        None,
        "detected" if created else "evidence_added",
        "anomaly",
        anomaly.id,
        before=before,
        after={"kind": "shared_device", "student_ids": student_ids, "session_ids": session_ids},
        **audit_paths(scans[-1][0], scans[-1][4]),
    )
    return anomaly


def forget_devices(cutoff: datetime, **_: object) -> int:
    """Delete the device ids of anomalies judged before `cutoff`, as the scans' own are
    deleted (R28); an open anomaly keeps its device until someone has judged it."""
    judged = db.session.scalars(
        select(Anomaly).where(
            Anomaly.status != "open",
            Anomaly.resolved_at < cutoff,
            Anomaly.device_id.is_not(None),
        )
    ).all()
    for anomaly in judged:
        anomaly.device_id = None
        anomaly.evidence = {k: v for k, v in (anomaly.evidence or {}).items() if k != "device_id"}
    return len(judged)
