"""Kiosks: a tablet bound to one site by a one-time activation link, showing only that
site's codes; only hashes of the link and the device token are stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, select

from .. import audit, clock
from ..auth import scope
from ..auth.models import User
from ..database import lock_rows
from ..enterprises.models import Enterprise, Site
from ..errors import N_, Forbidden, NotFound, ValidationError
from ..extensions import db
from ..unions.services import union_path
from . import sessions, sitecodes, tokens
from .models import Kiosk, ServiceSession

ACTIVATION_DAYS = 7
DEVICE_COOKIE = "kiosk_device"
DEVICE_COOKIE_DAYS = 400  # browsers cap cookie lifetimes at about 400 days
SEEN_EVERY = timedelta(seconds=60)


def token_hash(token: str) -> str:
    """Return the stored form of a link or device token (SHA-256, hex)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _audit(actor: User | None, action: str, kiosk: Kiosk, site: Site, **after: object) -> None:
    code = db.session.scalar(
        select(Enterprise.union_code).where(Enterprise.id == site.enterprise_id)
    )
    audit.record(
        actor,
        action,
        "kiosk",
        kiosk.id,
        after={"site_id": site.id, **after},
        union_path=union_path(code),
    )


def create_kiosk(
    actor: User, site_id: int, label: object, now: datetime | None = None
) -> tuple[Kiosk, str]:
    """Create a kiosk for one of the actor's sites; return it and its one-time link token."""
    if actor.role != "enterprise_staff":
        raise Forbidden()
    site = scope.get_or_404(scope.sites(actor), Site, site_id)
    if not isinstance(label, str) or not 1 <= len(label.strip()) <= 100:
        raise ValidationError.field("label", N_("请填写 1–100 字的名称，例如“前台平板”。"))
    now = now or clock.now()
    token = secrets.token_urlsafe(32)
    kiosk = Kiosk(
        site_id=site.id,
        label=label.strip(),
        activation_hash=token_hash(token),
        created_by_id=actor.id,
        created_at=now,
    )
    db.session.add(kiosk)
    db.session.flush()
    _audit(actor, "created", kiosk, site, label=kiosk.label)
    db.session.commit()
    return kiosk, token


def pending_activation(token: str, now: datetime | None = None) -> tuple[Kiosk, Site]:
    """Return the kiosk a valid, unused, unexpired activation link names (404 otherwise)."""
    now = now or clock.now()
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        raise NotFound("not_found", N_("激活链接无效。"))
    kiosk = db.session.scalars(
        select(Kiosk).where(Kiosk.activation_hash == token_hash(token))
    ).first()
    if (
        kiosk is None
        or kiosk.activated_at is not None
        or kiosk.revoked_at is not None
        or now > kiosk.created_at + timedelta(days=ACTIVATION_DAYS)
    ):
        raise NotFound("not_found", N_("激活链接无效、已使用或已过期，请让企业管理员重新生成。"))
    return kiosk, db.session.get(Site, kiosk.site_id)


def activate_kiosk(token: str, now: datetime | None = None) -> tuple[Kiosk, str]:
    """Bind this device to the kiosk: return it and the device token for the cookie."""
    now = now or clock.now()
    kiosk, site = pending_activation(token, now)
    lock_rows(kiosk)
    db.session.refresh(kiosk)
    if kiosk.activated_at is not None:
        raise NotFound("not_found", N_("激活链接已使用。"))
    device = secrets.token_urlsafe(32)
    kiosk.device_hash = token_hash(device)
    kiosk.activated_at = now
    kiosk.last_seen_at = now
    _audit(None, "activated", kiosk, site)
    db.session.commit()
    return kiosk, device


def kiosk_for_device(device_token: str | None) -> Kiosk | None:
    """Return the kiosk bound to a device token (revoked ones included), if any."""
    if not device_token or len(device_token) > 100:
        return None
    return db.session.scalars(
        select(Kiosk).where(Kiosk.device_hash == token_hash(device_token))
    ).first()


def present_count(site_id: int, now: datetime) -> int:
    """Count students checked in at a site now (R13 applied: stale sessions excluded)."""
    cutoff = now - timedelta(hours=sessions.max_session_hours())
    return (
        db.session.scalar(
            select(func.count(ServiceSession.id)).where(
                ServiceSession.site_id == site_id,
                ServiceSession.status == "open",
                ServiceSession.check_in_at > cutoff,
            )
        )
        or 0
    )


def display(site: Site, now: datetime | None = None, kiosk_id: int | None = None) -> dict:
    """Return what a code screen shows: names, the code and its SVG, the count, the time
    (a kiosk shows codes sealed with its own key, which it can derive offline)."""
    now = now or clock.now()
    enterprise = db.session.get(Enterprise, site.enterprise_id)
    code = sitecodes.rotating_code(site, now, kiosk_id)
    return {
        **code,
        "svg": sitecodes.qr_svg(code["url"]),
        "site_name": site.name,
        "enterprise_name": enterprise.name,
        "present": present_count(site.id, now),
        "now": clock.to_local(now).isoformat(timespec="seconds"),
        "site_active": site.is_active,
    }


def kiosk_display(kiosk: Kiosk, now: datetime | None = None) -> dict:
    """Return a kiosk's screen, noting that it is alive (at most once a minute)."""
    now = now or clock.now()
    if kiosk.revoked_at is not None:
        raise Forbidden("kiosk_revoked", N_("此平板已被企业停用。"))
    site = db.session.get(Site, kiosk.site_id)
    data = display(site, now, kiosk.id)
    if kiosk.last_seen_at is None or now - kiosk.last_seen_at >= SEEN_EVERY:
        kiosk.last_seen_at = now
        db.session.commit()
    return data


def offline_key(kiosk: Kiosk) -> dict:
    """Return what a live kiosk needs to derive its codes without network (R41): its own
    key (from the site secret and the kiosk id), its id, its site and the URL prefix."""
    if kiosk.revoked_at is not None or kiosk.activated_at is None:
        raise Forbidden("kiosk_revoked", N_("此平板已被企业停用。"))
    site = db.session.get(Site, kiosk.site_id)
    return {
        "key": tokens.encode_key(tokens.kiosk_key(site.secret, kiosk.id)),
        "kiosk_id": kiosk.id,
        "site_id": site.id,
        "url_prefix": sitecodes.scan_url(""),
        "step_seconds": tokens.STEP_SECONDS,
    }


def revoke_kiosk(actor: User, kiosk_id: int, now: datetime | None = None) -> Kiosk:
    """Stop a kiosk: its next poll is refused and the screen says so; commits."""
    if actor.role != "enterprise_staff":
        raise Forbidden()
    site_ids = scope.sites(actor).with_only_columns(Site.id)
    kiosk = scope.get_or_404(select(Kiosk).where(Kiosk.site_id.in_(site_ids)), Kiosk, kiosk_id)
    if kiosk.revoked_at is None:
        kiosk.revoked_at = now or clock.now()
        _audit(actor, "revoked", kiosk, db.session.get(Site, kiosk.site_id))
        db.session.commit()
    return kiosk


def list_kiosks(actor: User) -> list[tuple[Kiosk, Site]]:
    """Return the kiosks of the actor's sites with their site, newest first."""
    if actor.role != "enterprise_staff":
        raise Forbidden()
    site_ids = scope.sites(actor).with_only_columns(Site.id)
    rows = db.session.execute(
        select(Kiosk, Site)
        .join(Site, Site.id == Kiosk.site_id)
        .where(Kiosk.site_id.in_(site_ids))
        .order_by(Kiosk.created_at.desc(), Kiosk.id.desc())
    )
    return [(k, s) for k, s in rows]
