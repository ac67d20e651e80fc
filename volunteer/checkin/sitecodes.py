"""A site's codes (R8): the rotating kiosk code, the printed poster code, the secret
behind both, and their QR images (SVG, crisp at any size)."""

from __future__ import annotations

from datetime import datetime

import qrcode
import qrcode.constants
import qrcode.image.svg
from flask_babel import gettext as _
from markupsafe import escape
from sqlalchemy import select

from .. import audit, clock
from ..auth import scope
from ..auth.models import User
from ..enterprises.models import Enterprise, Site
from ..enterprises.rules import make_site_secret
from ..errors import Forbidden
from ..extensions import db
from ..unions.services import union_path
from ..urls import external_url
from . import tokens


def scan_url(token: str) -> str:
    """Return the URL a code encodes: <base>/s/<token> (BASE_URL, or the page's address)."""
    return external_url("/s/" + token)


def qr_svg(data: str) -> str:
    """Return an SVG QR code of `data` (paths on a module grid, scalable by CSS)."""
    qr = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        border=3,
        image_factory=qrcode.image.svg.SvgPathImage,
    )
    qr.add_data(data)
    qr.make(fit=True)
    svg = qr.make_image().to_string(encoding="unicode")
    # Drop the fixed millimetre size so the viewBox scales to whatever CSS gives it.
    head, _sep, rest = svg.partition(">")
    for attr in ('width="', 'height="'):
        start = head.find(attr)
        if start != -1:
            end = head.index('"', start + len(attr))
            head = head[:start] + head[end + 1 :]
    label = escape(_("二维码"))
    return (
        head.replace("<svg ", f'<svg role="img" aria-label="{label}" shape-rendering="crispEdges" ')
        + ">"
        + rest
    )


def rotating_code(site: Site, now: datetime | None = None, kiosk_id: int | None = None) -> dict:
    """Return the site's code for the current step: {token, url, expires_at, ...}; a
    kiosk's own code (sealed with its key, R41) when `kiosk_id` is given."""
    now = now or clock.now()
    step = tokens.step_at(now)
    if kiosk_id is None:
        token = tokens.make_rotating_token(site.id, site.secret, step)
    else:
        key = tokens.kiosk_key(site.secret, kiosk_id)
        token = tokens.make_kiosk_token(site.id, kiosk_id, key, step)
    next_at = tokens.step_starts_at(step + 1)
    return {
        "token": token,
        "url": scan_url(token),
        "expires_at": clock.to_local(tokens.step_expires_at(step)).isoformat(timespec="seconds"),
        "step": step,
        "refresh_in": max(0.5, (next_at - now).total_seconds()),
    }


def poster_code(site: Site) -> dict:
    """Return the site's printed (non-rotating) code: {token, url}."""
    token = tokens.make_poster_token(site.id, site.secret)
    return {"token": token, "url": scan_url(token)}


def staff_site(actor: User, site_id: int) -> Site:
    """Load a site the actor's enterprise owns (codes are the enterprise's to show)."""
    if actor.role != "enterprise_staff":
        raise Forbidden()
    return scope.get_or_404(scope.sites(actor), Site, site_id)


def current_code(actor: User, site_id: int, now: datetime | None = None) -> dict:
    """Return the current rotating code of one of the actor's sites."""
    return rotating_code(staff_site(actor, site_id), now)


def printed_code(actor: User, site_id: int) -> dict:
    """Return the poster code of one of the actor's sites."""
    return poster_code(staff_site(actor, site_id))


def rotate_secret(actor: User, site_id: int, now: datetime | None = None) -> Site:
    """Give a site a new secret: every earlier code, rotating or poster, dies; audited."""
    if actor.role not in ("enterprise_staff", "union_staff"):
        raise Forbidden()
    site = scope.get_or_404(scope.sites(actor), Site, site_id)
    now = now or clock.now()
    site.secret = make_site_secret()
    site.secret_rotated_at = now
    code = db.session.scalar(
        select(Enterprise.union_code).where(Enterprise.id == site.enterprise_id)
    )
    audit.record(
        actor,
        "secret_rotated",
        "site",
        site.id,
        after={"secret_rotated_at": now.isoformat()},
        union_path=union_path(code),
    )
    db.session.commit()
    return site
