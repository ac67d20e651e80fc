"""Pages of check-in: the scan page a QR code opens, its result, and the student's home.

Staff pages live in enterprise_views, kiosk_views and log_views, on the same blueprint
(blueprint.py); importing them here registers their routes.
"""

from __future__ import annotations

import math
import secrets
from datetime import UTC, datetime

from flask import flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from .. import clock
from ..auth.scope import current_actor, role_required
from ..enterprises.models import Enterprise, Site
from ..errors import DomainError
from ..i18n import localize
from ..jsonapi import paginated
from ..ui.form_errors import attach_errors
from . import (  # noqa: F401 (app_views and the staff pages register their routes)
    app_views,
    enterprise_views,
    kiosk_views,
    listings,
    log_views,
    services,
    sessions,
    tokens,
)
from .blueprint import bp
from .filters import month_arg
from .forms import CorrectionForm, ScanForm, aware, local_input
from .preview import scan_preview
from .scan_limits import scan_limits

PENDING_KEY = "pending_scans"
PENDING_MAX = 5


# --- the scan page's memory of first openings (R8 grace) ----------------------------


def _first_seen(token: str) -> datetime | None:
    at = (session.get(PENDING_KEY) or {}).get(token)
    return datetime.fromtimestamp(at, UTC) if isinstance(at, int | float) else None


def _remember(token: str, now: datetime) -> None:
    pending = dict(session.get(PENDING_KEY) or {})
    pending.setdefault(token, int(now.timestamp()))
    newest = sorted(pending.items(), key=lambda kv: kv[1])[-PENDING_MAX:]
    session[PENDING_KEY] = dict(newest)


def _forget(token: str) -> None:
    pending = dict(session.get(PENDING_KEY) or {})
    if pending.pop(token, None) is not None:
        session[PENDING_KEY] = pending


def _number(raw: str | None) -> object:
    # Blank means "no location"; anything else goes to the rules to be judged.
    if raw is None or not raw.strip():
        return None
    try:
        value = float(raw)
    except ValueError:
        return raw
    return value if math.isfinite(value) else raw


def _moment_text(raw: str | None) -> object:
    """A form's scanned_at: absent when blank, a datetime when ISO, else the raw text
    (which the service refuses as a validation error)."""
    if raw is None or not raw.strip():
        return None
    try:
        return datetime.fromisoformat(raw.strip())
    except ValueError:
        return raw


def _flag(raw: str | None) -> bool | None:
    if raw is None or not raw.strip():
        return None
    return raw.strip().lower() in ("1", "true", "on", "yes")


def _wants_json() -> bool:
    # The phone's queue of scans made without network (static/js/queue.js) sends the
    # same form and reads the answer as JSON.
    return request.accept_mimetypes.best == "application/json"


def _verified_site(token: str) -> tuple[Site | None, Enterprise | None]:
    """The site a well-sealed token names, for showing a refusal in context."""
    try:
        parsed = tokens.parse_token(token)
    except tokens.TokenError:
        return None, None
    site = listings.site_by_id(parsed.site_id)
    if site is None or not tokens.verify_token(parsed, site.secret):
        return None, None
    return site, listings.enterprise_by_id(site.enterprise_id)


def _refusal_page(token: str, code: str, message: str, status: int, open_session=None):
    site, enterprise = _verified_site(token)
    since = open_session.get("check_in_at") if isinstance(open_session, dict) else None
    return render_template(
        "checkin/scan.html",
        site=site,
        enterprise=enterprise,
        form=None,
        error_code=code,
        error_message=localize(message),
        open_since=datetime.fromisoformat(since) if since else None,
    ), status


def _gate(token: str, site: Site | None = None):
    """Send a visitor through login (and a first password change) back to this page."""
    actor = current_actor()
    if actor is None:
        if site is not None:  # the login page says what logging in is for
            session["login_for_site"] = site.name
        return redirect(url_for("auth.login", next=url_for("checkin.scan", token=token)))
    if actor.must_change_password:
        return redirect(url_for("auth.change_password", next=url_for("checkin.scan", token=token)))
    if actor.role != "student":
        return render_template("checkin/not_student.html"), 403
    return None


@bp.route("/s/<token>", methods=["GET", "POST"])
@scan_limits
def scan(token: str):
    now = clock.now()
    if request.method == "POST":
        return _scan_post(token, now)
    try:
        site, enterprise, _parsed = services.inspect_token(token, now, _first_seen(token))
    except DomainError as exc:
        return _refusal_page(token, exc.code, exc.message, exc.status)
    _remember(token, now)
    gate = _gate(token, site)
    if gate is not None:
        return gate
    preview = scan_preview(current_actor().student_id, site, _parsed, now)
    open_s = preview.open_session
    form = ScanForm(action=preview.action, nonce=secrets.token_urlsafe(16))
    elsewhere = open_s is not None and open_s.site_id != site.id
    open_site = listings.site_by_id(open_s.site_id) if elsewhere else None
    return render_template(
        "checkin/scan.html",
        site=site,
        enterprise=enterprise,
        form=form,
        open_session=open_s,
        open_site=open_site,
        preview=preview,
    )


def _scan_post(token: str, now: datetime):
    gate = _gate(token)
    if gate is not None:
        return gate
    form = ScanForm()
    form.validate_on_submit()  # CSRF is checked app-wide; the fields are judged by the service
    try:
        result = services.record_scan(
            current_actor(),
            token,
            form.action.data,
            nonce=form.nonce.data or None,
            latitude=_number(form.latitude.data),
            longitude=_number(form.longitude.data),
            accuracy_m=_number(form.accuracy_m.data),
            scanned_at=_moment_text(form.scanned_at.data),
            offline=_flag(form.offline.data),
            device_id=form.device_id.data or None,
            first_seen_at=_first_seen(token),
            ip=request.remote_addr,
            user_agent=request.headers.get("User-Agent"),
            now=now,
        )
    except DomainError as exc:
        if _wants_json():
            return jsonify(exc.to_dict()), exc.status
        return _refusal_page(token, exc.code, exc.message, exc.status, exc.extra.get("session"))
    if _wants_json():
        return jsonify(result.body), result.status
    if not result.ok:  # the same form sent again: the same refusal
        error = result.body["error"]
        return _refusal_page(
            token, error["code"], error["message"], result.status, result.body.get("session")
        )
    _forget(token)
    return redirect(
        url_for("checkin.scan_result", session_id=result.session_id, r=result.body["result"])
    )


@bp.get("/checkin/sessions/<int:session_id>/done")
@role_required("student")
def scan_result(session_id: int):
    s = services.get_session(current_actor(), session_id)
    site = listings.site_by_id(s.site_id)
    enterprise = listings.enterprise_by_id(s.enterprise_id)
    return render_template("checkin/result.html", s=s, site=site, enterprise=enterprise)


# --- the student's own pages ---------------------------------------------------------


@bp.get("/checkin/me")
@role_required("student")
def student_home():
    actor = current_actor()
    month = month_arg()
    stmt = listings.with_names(services.list_sessions(actor, month=month))
    page = paginated(stmt, tuple, scalars=False)
    totals = listings.month_totals(actor.student_id, month)
    open_s = services.open_session_of(actor.student_id)
    open_site = listings.site_by_id(open_s.site_id) if open_s else None
    fixes = listings.corrections_of(actor, limit=20)
    return render_template(
        "checkin/student_home.html",
        month=month,
        page=page,
        totals=totals,
        open_session=open_s,
        open_site=open_site,
        corrections=fixes,
        months=listings.recent_months(month),
    )


@bp.route("/checkin/sessions/<int:session_id>/correction", methods=["GET", "POST"])
@role_required("student")
def correction_request(session_id: int):
    actor = current_actor()
    s = services.get_session(actor, session_id)
    site = listings.site_by_id(s.site_id)
    form = CorrectionForm()
    if request.method == "GET":
        form.check_in_at.data = local_input(s.check_in_at)
        if s.status not in ("open", "auto_closed"):
            form.check_out_at.data = local_input(s.check_out_at)
    if form.validate_on_submit():
        new_in = _proposed(form.check_in_at.data, s.check_in_at)
        real_out = s.check_out_at if s.status not in ("open", "auto_closed") else None
        new_out = _proposed(form.check_out_at.data, real_out)
        try:
            services.request_correction(actor, s.id, new_in, new_out, form.note.data)
        except DomainError as exc:
            attach_errors(form, exc)
        else:
            flash(_("更正申请已提交，等待企业处理。"), "success")
            return redirect(url_for("checkin.student_home"))
    return render_template("checkin/correction_form.html", s=s, site=site, form=form)


def _proposed(value: datetime | None, current: datetime | None) -> datetime | None:
    """A form time the student changed, else None (unchanged times are not proposals)."""
    value = aware(value)
    unchanged = current is not None and value == current.replace(second=0, microsecond=0)
    return None if unchanged else value
