"""Reading a scanned code (R8, R41): parse it, find its site (and kiosk) and check it is
sealed and fresh; for a scan, in the same statement as the student's row lock."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import bindparam, select

from .. import clock
from ..enterprises.models import Enterprise, Site
from ..extensions import db
from ..students.models import Student
from . import sessions, tokens
from .attempts import refusal
from .models import Kiosk


def parse(token: object) -> tokens.ParsedToken:
    """Parse a token, or refuse it with its code."""
    try:
        return tokens.parse_token(token)  # type: ignore[arg-type]
    except tokens.TokenError as exc:
        raise refusal(exc.code) from None


def check(
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
    parsed = parse(token)
    site = db.session.get(Site, parsed.site_id)
    if parsed.kind == tokens.KIOSK:
        kiosk = db.session.get(Kiosk, parsed.kiosk_id)
        if kiosk is None or not _live_kiosk(
            parsed, kiosk.site_id, kiosk.activated_at, kiosk.revoked_at
        ):
            site = None
    return check(site, parsed, now, first_seen_at), parsed


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


def lock_with_site(student_id: int, parsed: tokens.ParsedToken | None) -> Site | None:
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
