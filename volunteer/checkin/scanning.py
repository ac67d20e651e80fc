"""Scanning a site's code (R8–R12, R14): checks in the R11 order, one answer per nonce,
every attempt recorded — refusals too, in their own commit after the rollback."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from .. import clock, events
from ..auth.models import User
from ..enterprises.models import Site
from ..errors import N_, DomainError, Forbidden, ValidationError
from ..extensions import db
from ..periods import locks
from . import rules, sessions, tokens
from .attempts import (
    DEVICE_RE,
    MESSAGES,
    NONCE_RE,
    Attempt,
    record_rate_limited,
    record_refusal,
    refusal,
)
from .coverage import active_agreement, day_allowed, insurance_required
from .models import ScanAttempt, ScanNonce, ServiceSession, TokenUse
from .scan_reads import open_session_and_use
from .scan_tokens import check, inspect_token, lock_with_site, parse

__all__ = ["MESSAGES", "ScanResult", "inspect_token", "record_rate_limited", "record_scan"]


@dataclass(frozen=True)
class Moment:
    """When a scan happened: now, or the `scanned_at` of a scan sent later (R41)."""

    at: datetime
    late: bool = False
    offline: bool = False


@dataclass
class ScanResult:
    """An answer to a scan: HTTP status and JSON body (replayed for a repeated nonce)."""

    status: int
    body: dict
    replay: bool = False

    @property
    def ok(self) -> bool:
        """Tell whether the scan succeeded."""
        return self.status < 300

    @property
    def session_id(self) -> int | None:
        """Return the id of the session the answer names, if any."""
        session = self.body.get("session") or {}
        return session.get("id")


def _validate(action: object, nonce: object, lat: object, lon: object, acc: object):
    if action not in rules.ACTIONS:
        raise ValidationError.field("action", N_("操作应为 check_in（签到）或 check_out（签退）。"))
    if nonce is not None and (not isinstance(nonce, str) or not NONCE_RE.fullmatch(nonce)):
        raise ValidationError.field("nonce", N_("应为 1–64 位字母、数字、- 或 _。"))
    return rules.validate_location(lat, lon, acc)


def _moment(scanned_at: object, offline: object, device_id: object, now: datetime) -> Moment:
    """Check the fields of a scan sent later (R41) and the device id (R42)."""
    if device_id is not None and (
        not isinstance(device_id, str) or not DEVICE_RE.fullmatch(device_id)
    ):
        raise ValidationError.field("device_id", N_("设备标识应为 1–64 个可见字符。"))
    if offline is not None and not isinstance(offline, bool):
        raise ValidationError.field("offline", N_("应为 true 或 false。"))
    if scanned_at is None:
        return Moment(now, offline=bool(offline))
    if not isinstance(scanned_at, datetime) or scanned_at.tzinfo is None:
        raise ValidationError.field(
            "scanned_at", N_("应为带时区的 ISO 时间，例如 2026-11-28T09:00:00+08:00。")
        )
    at = scanned_at.astimezone(now.tzinfo).replace(microsecond=0)
    return Moment(at, late=True, offline=rules.is_offline_scan(at, now, offline))


_STORED_ANSWER = select(ScanNonce.status_code, ScanNonce.body).where(
    ScanNonce.student_id == bindparam("student_id"), ScanNonce.nonce == bindparam("nonce")
)


def _stored_answer(student_id: int, nonce: str | None) -> ScanResult | None:
    if not nonce:
        return None
    row = db.session.execute(_STORED_ANSWER, {"student_id": student_id, "nonce": nonce}).first()
    return None if row is None else ScanResult(row[0], row[1], replay=True)


def record_scan(
    actor: User,
    token: object,
    action: object,
    *,
    nonce: object = None,
    latitude: object = None,
    longitude: object = None,
    accuracy_m: object = None,
    scanned_at: object = None,
    offline: object = None,
    device_id: object = None,
    first_seen_at: datetime | None = None,
    ip: str | None = None,
    user_agent: str | None = None,
    now: datetime | None = None,
) -> ScanResult:
    """Check a student in or out with a site's code; commits (refusals are recorded).

    A scan kept by a phone without network comes with `scanned_at` (R41): it is checked
    and timed as of that moment, within OFFLINE_SCAN_HOURS and 2 minutes ahead."""
    if actor.role != "student" or actor.student_id is None:
        raise Forbidden()
    now = (now or clock.now()).replace(microsecond=0)
    attempt = Attempt(actor.student_id, str(action)[:20], now, ip, user_agent)
    try:
        location = _validate(action, nonce, latitude, longitude, accuracy_m)
        moment = _moment(scanned_at, offline, device_id, now)
        attempt.device_id = device_id  # type: ignore[assignment]
        result = _scan(actor, attempt, token, nonce, location, accuracy_m, first_seen_at, moment)
        db.session.commit()
        return result
    except DomainError as exc:
        db.session.rollback()
        record_refusal(attempt, exc, nonce)
        raise
    except IntegrityError:
        # Lost a race (one open session, one use of a step, one nonce): answer like the winner.
        db.session.rollback()
        stored = _stored_answer(actor.student_id, nonce)  # type: ignore[arg-type]
        if stored is not None:
            return stored
        exc = refusal("conflict")
        record_refusal(attempt, exc, None)
        raise exc from None


def _scan(
    actor, attempt, token, nonce, location, accuracy_m, first_seen_at, moment: Moment
) -> ScanResult:
    student_id, action = attempt.student_id, attempt.action
    try:
        parsed, bad_token = parse(token), None
    except DomainError as exc:
        parsed, bad_token = None, exc
    site = lock_with_site(student_id, parsed)
    # A statement of its own after the lock: under READ COMMITTED it sees the answer a
    # concurrent request with the same nonce committed while this one waited.
    stored = _stored_answer(student_id, nonce)
    if stored is not None:
        return stored
    if parsed is None:
        raise bad_token
    now = moment.at  # from here on, every check is as of the scan's own moment (R41)
    if moment.late:
        hours = current_app.config["OFFLINE_SCAN_HOURS"]
        if rules.scanned_at_refusal(now, attempt.at, hours):
            raise refusal("token_expired")
        first_seen_at = None
    site = check(site, parsed, now, first_seen_at)
    attempt.site_id, attempt.token_kind = site.id, parsed.kind
    if not site.is_active:
        raise refusal("site_inactive")
    open_s, used, paths, ended_after = open_session_and_use(
        student_id, site, parsed, now, moment.late
    )
    if action == "check_out" and open_s is not None and now < open_s.check_in_at:
        raise ValidationError.field("scanned_at", N_("签退时间早于这次服务的签到时间。"))
    if action == "check_in" and open_s is None and ended_after:
        raise ValidationError.field("scanned_at", N_("这次签到早于你已记录的一次服务的结束时间。"))
    _refuse_closed_months(student_id, open_s if action == "check_out" else None, now, attempt.at)
    agreement, allowed, insured = None, True, True
    if action == "check_in" and open_s is None and not used:
        today = clock.to_local(now).date()
        agreement = active_agreement(student_id, site.enterprise_id, today)
        allowed = agreement is not None and day_allowed(today, agreement.allow_workdays)
        insured = agreement is None or agreement.is_insured_on(today)
    code = rules.scan_refusal(
        action=action,
        open_site_id=open_s.site_id if open_s else None,
        site_id=site.id,
        token_already_used=used,
        has_active_agreement=action != "check_in" or agreement is not None,
        day_allowed=allowed,
        # Asked only for an uninsured check-in: the insured path stays as short as it was.
        insurance_refused=not insured and allowed and insurance_required(student_id),
    )
    if code is not None:
        extra = {"session": open_s.to_dict()} if code == "already_checked_in" else None
        raise refusal(code, extra)
    lat, lon = location if location else (None, None)
    flag, attempt.distance_m = rules.location_verdict(
        site.latitude, site.longitude, site.radius_m, lat, lon
    )
    attempt.verdict = _verdict(site, flag, attempt.distance_m)
    flags = (
        tokens.POSTER if parsed.kind == tokens.POSTER else None,
        flag,
        None if insured else "uninsured",
        "offline" if moment.offline else None,
    )
    if action == "check_in":
        s = ServiceSession(
            student_id=student_id,
            enterprise_id=site.enterprise_id,
            site_id=site.id,
            agreement_id=agreement.id,
            check_in_at=now,
            status="open",
            flags=sessions.with_flags("", *flags),
            minutes=0,
            distance_m=attempt.distance_m,
            latitude=lat,
            longitude=lon,
            accuracy_m=float(accuracy_m) if location and accuracy_m is not None else None,
            created_at=attempt.at,
            updated_at=attempt.at,
        )
        db.session.add(s)
        before, status, result = None, 201, "checked_in"
    else:
        s = open_s
        before, status, result = sessions.snapshot(s), 200, "checked_out"
        _check_out(s, now, flags, attempt.distance_m, lat, lon)
    # An open session has no month rows, a new one neither: nothing to read back.
    sessions.sync_months(s, no_rows=True)  # flushes: the session's id
    body = {"result": result, "session": s.to_dict()}
    # The rows of the answer go in as plain INSERTs (no RETURNING, no unit of work):
    # the scan is the hot path (bench/README.md).
    if parsed.rotates:
        _insert(TokenUse, student_id=student_id, site_id=site.id, step=parsed.step, at=attempt.at)
    _insert(ScanAttempt, **attempt.values(result, s.id))
    if nonce:
        _insert(
            ScanNonce,
            student_id=student_id,
            nonce=nonce,
            status_code=status,
            body=body,
            created_at=attempt.at,
        )
    sessions.record_change(actor, result, s, before, paths)
    db.session.flush()
    events.scan_recorded.send(
        s.id,
        student_id=student_id,
        enterprise_id=s.enterprise_id,
        action=action,
        device_id=attempt.device_id,
        at=now,
    )
    return ScanResult(status, body)


def _refuse_closed_months(
    student_id: int, open_s: ServiceSession | None, at: datetime, received: datetime
) -> None:
    """Refuse a scan whose minutes would land in a closed month (R29): one sent late
    (R41), or a check-out of a session begun before the month was closed. The month the
    server is in cannot be closed (R21: only once over), so a live scan asks nothing."""
    tz = clock.business_tz()
    start = open_s.check_in_at if open_s is not None else at
    months = set(rules.split_minutes_by_month(start, at, tz))
    months.discard(clock.to_local(received).strftime("%Y-%m"))
    if months and locks.closed_months(student_id, months):
        raise refusal("month_closed")


def _insert(model: type, **values: object) -> None:
    # Core on the session's connection: the ORM's per-statement work is skipped.
    db.session.connection().execute(model.__table__.insert(), values)


def _check_out(s, now, flags, distance, lat, lon) -> None:
    s.check_out_at = now
    s.minutes = rules.whole_minutes(s.check_in_at, now)
    s.status = "pending"
    s.flags = sessions.with_flags(s.flags, *flags)
    if s.distance_m is None and distance is not None:
        s.distance_m = distance
    if s.latitude is None and lat is not None:
        s.latitude, s.longitude = lat, lon
    s.updated_at = now


def _verdict(site: Site, flag: str | None, distance: float | None) -> str | None:
    if flag is not None:
        return flag
    if site.latitude is None or site.longitude is None or site.radius_m is None:
        return None
    return "location_inside" if distance is not None else None
