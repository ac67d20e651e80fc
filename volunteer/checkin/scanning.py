"""Scanning a site's code (R8–R12, R14): checks in the R11 order, one answer per nonce,
every attempt recorded — refusals too, in their own commit after the rollback."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Exists, Select, bindparam, select
from sqlalchemy.exc import IntegrityError

from .. import clock, events
from ..auth.models import User
from ..enterprises.models import Enterprise, Site
from ..errors import N_, DomainError, Forbidden, ValidationError
from ..extensions import db
from ..periods import locks
from ..students.models import Student
from . import rules, sessions, tokens
from .attempts import (
    DEVICE_RE,
    MESSAGES,
    NONCE_RE,
    SUCCESS_RESULTS,
    Attempt,
    record_rate_limited,
    record_refusal,
    refusal,
)
from .coverage import active_agreement, day_allowed, insurance_required
from .models import Kiosk, ScanAttempt, ScanNonce, ServiceSession, TokenUse

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


def _parse(token: object) -> tokens.ParsedToken:
    try:
        return tokens.parse_token(token)  # type: ignore[arg-type]
    except tokens.TokenError as exc:
        raise refusal(exc.code) from None


def _check(
    site: Site | None, parsed: tokens.ParsedToken, now: datetime, first_seen_at: datetime | None
) -> Site:
    """Check a parsed token against its site (R8): sealed by the site's secret, and fresh
    now or, within the scan grace, when the scan page first opened it."""
    if site is None:
        raise refusal("token_invalid")
    try:
        tokens.check_token(parsed, site.secret, now)
    except tokens.TokenError as exc:
        grace = timedelta(seconds=current_app.config["SCAN_GRACE_SECONDS"])
        if exc.code != "token_expired" or first_seen_at is None:
            raise refusal(exc.code) from None
        if not first_seen_at <= now <= first_seen_at + grace:
            raise refusal(exc.code) from None
        try:
            tokens.check_token(parsed, site.secret, first_seen_at)
        except tokens.TokenError as again:
            raise refusal(again.code) from None
    return site


def _live_kiosk(parsed: tokens.ParsedToken, kiosk_site_id, activated_at, revoked_at) -> bool:
    """Tell whether a kiosk code's kiosk is activated, not revoked, and of its site."""
    return kiosk_site_id == parsed.site_id and activated_at is not None and revoked_at is None


def read_token(
    token: object, now: datetime, first_seen_at: datetime | None = None
) -> tuple[Site, tokens.ParsedToken]:
    """Check a token (R8) and return its site. Raises token_invalid/expired."""
    parsed = _parse(token)
    site = db.session.get(Site, parsed.site_id)
    if parsed.kind == tokens.KIOSK:
        kiosk = db.session.get(Kiosk, parsed.kiosk_id)
        if kiosk is None or not _live_kiosk(
            parsed, kiosk.site_id, kiosk.activated_at, kiosk.revoked_at
        ):
            site = None
    return _check(site, parsed, now, first_seen_at), parsed


# The student's row lock (sessions.lock_student) and the token's site in one statement.
# The site is read as of the statement's start even when the lock had to wait: a site
# switched off meanwhile lets that one scan through, as it would have a moment earlier.
_LOCK_WITH_SITE = (
    select(Student.id, Site)
    .outerjoin(Site, Site.id == bindparam("site_id"))
    .where(Student.id == bindparam("student_id"))
    .with_for_update(of=Student.__table__)
)


# A kiosk's code (R41) reads its kiosk in the same statement: revoked, it is refused.
_LOCK_WITH_SITE_AND_KIOSK = (
    select(Student.id, Site, Kiosk.site_id, Kiosk.activated_at, Kiosk.revoked_at)
    .select_from(Student)
    .outerjoin(Site, Site.id == bindparam("site_id"))
    .outerjoin(Kiosk, Kiosk.id == bindparam("kiosk_id"))
    .where(Student.id == bindparam("student_id"))
    .with_for_update(of=Student.__table__)
)


def _lock_with_site(student_id: int, parsed: tokens.ParsedToken | None) -> Site | None:
    """Take the student's lock and read the parsed token's site (None if there is none,
    or if a kiosk code's kiosk is not live)."""
    if parsed is None:
        sessions.lock_student(student_id)
        return None
    params = {"student_id": student_id, "site_id": parsed.site_id}
    if parsed.kind != tokens.KIOSK:
        row = db.session.execute(_LOCK_WITH_SITE, params).first()
        return row[1] if row is not None else None
    params["kiosk_id"] = parsed.kiosk_id
    row = db.session.execute(_LOCK_WITH_SITE_AND_KIOSK, params).first()
    if row is None or not _live_kiosk(parsed, row[2], row[3], row[4]):
        return None
    return row[1]


def inspect_token(
    token: str, now: datetime | None = None, first_seen_at: datetime | None = None
) -> tuple[Site, Enterprise, tokens.ParsedToken]:
    """Check a token for the scan page's GET (no record is written)."""
    now = now or clock.now()
    site, parsed = read_token(token, now, first_seen_at)
    if not site.is_active:
        raise refusal("site_inactive")
    return site, db.session.get(Enterprise, site.enterprise_id), parsed


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


def token_used(kind: str) -> Exists:
    """Filter: this token was already used by the student at the site (R11 token_reused);
    parameters student_id, site_id and step (rotating) or since (poster)."""
    student_id, site_id = bindparam("student_id"), bindparam("site_id")
    if kind != tokens.POSTER:
        return (
            select(TokenUse.id)
            .where(
                TokenUse.student_id == student_id,
                TokenUse.site_id == site_id,
                TokenUse.step == bindparam("step"),
            )
            .exists()
        )
    return (
        select(ScanAttempt.id)
        .where(
            ScanAttempt.student_id == student_id,
            ScanAttempt.site_id == site_id,
            ScanAttempt.token_kind == tokens.POSTER,
            ScanAttempt.result.in_(SUCCESS_RESULTS),
            ScanAttempt.at > bindparam("since", type_=ScanAttempt.at.type),
        )
        .exists()
    )


def _ended_after() -> Exists:
    """Filter: the student has a closed session ending after `at` (a scan sent later
    may not check in inside, or before, a session already recorded)."""
    return (
        select(ServiceSession.id)
        .where(
            ServiceSession.student_id == bindparam("student_id"),
            ServiceSession.status != "open",
            ServiceSession.check_out_at > bindparam("at", type_=ServiceSession.check_out_at.type),
        )
        .exists()
    )


@functools.cache
def _open_session_stmt(kind: str, late: bool = False) -> Select:
    """The scan's read after the lock, built once per token kind (its construction and
    cache key cost more than PostgreSQL's work on the hot path; bench/README.md)."""
    student_id = bindparam("student_id")
    return (
        select(
            ServiceSession,
            token_used(kind),
            *sessions.audit_paths_columns(student_id, bindparam("enterprise_id")),
            *((_ended_after(),) if late else ()),
        )
        .select_from(Student)
        .outerjoin(
            ServiceSession,
            (ServiceSession.student_id == Student.id) & (ServiceSession.status == "open"),
        )
        .where(Student.id == student_id)
        # Fresh values: another request may have changed the session since it was loaded.
        .execution_options(populate_existing=True)
    )


def _open_session_and_use(
    student_id: int, site: Site, parsed: tokens.ParsedToken, now: datetime, late: bool = False
) -> tuple[ServiceSession | None, bool, dict[str, str | None] | None, bool]:
    """Return the student's open session (R13 stored on it if past the cap), whether
    the token was already used, the audit paths of the student and the site's
    enterprise, and (for a scan sent later) whether a closed session of the student
    ends after `now` — one read; the caller holds the student's lock."""
    params = {"student_id": student_id, "site_id": site.id, "enterprise_id": site.enterprise_id}
    if parsed.rotates:
        params["step"] = parsed.step
    else:
        params["since"] = now - timedelta(seconds=rules.POSTER_REUSE_SECONDS)
    if late:
        params["at"] = now
    row = db.session.execute(_open_session_stmt(parsed.kind, late), params).one()
    open_s, used = row[0], bool(row[1])
    ended_after = late and bool(row[4])
    paths = {"union_path": row[2], "other_union_path": row[3]}
    if open_s is not None and open_s.enterprise_id != site.enterprise_id:
        # The audit entry names the session's own enterprise (a refusal follows anyway).
        paths = None
    if open_s is not None and sessions.auto_close_if_stale(
        open_s, now, sessions.max_session_hours()
    ):
        open_s = None
    return open_s, used, paths, ended_after


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
        parsed, bad_token = _parse(token), None
    except DomainError as exc:
        parsed, bad_token = None, exc
    site = _lock_with_site(student_id, parsed)
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
    site = _check(site, parsed, now, first_seen_at)
    attempt.site_id, attempt.token_kind = site.id, parsed.kind
    if not site.is_active:
        raise refusal("site_inactive")
    open_s, used, paths, ended_after = _open_session_and_use(
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
