"""Pages for everyone: home, language, privacy notice, health check."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from ..audit import ENTITIES
from ..auth.scope import current_actor, role_required
from ..database import ping
from ..errors import ValidationError
from ..i18n import LOCALES, localize
from ..jsonapi import page_args
from .audit_queries import audit_entries, page_of, parse_since
from .navigation import home_endpoint

bp = Blueprint("web", __name__)


@bp.get("/")
def home():
    actor = current_actor()
    if actor is None:
        return redirect(url_for("auth.login"))
    endpoint = home_endpoint(actor.role)
    if endpoint and not actor.must_change_password:
        return redirect(url_for(endpoint))
    return render_template("web/home.html", actor=actor)


@bp.get("/lang/<code>")
def set_language(code: str):
    if code not in LOCALES:
        code = "zh"
    session["lang"] = code
    target = request.args.get("next") or request.referrer or url_for("web.home")
    if not _is_local(target):
        target = url_for("web.home")
    response = make_response(redirect(target))
    response.set_cookie(
        "lang",
        code,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        httponly=True,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
    return response


def _is_local(target: str) -> bool:
    from urllib.parse import urlsplit

    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return parts.netloc == request.host
    return target.startswith("/") and not target.startswith("//")


@bp.get("/privacy")
def privacy():
    return render_template("web/privacy.html")


@bp.get("/healthz")
def healthz():
    ping()
    return jsonify({"status": "ok"})


@bp.get("/audit")
@role_required("union_staff")
def audit_log():
    args = request.args
    try:
        page, per_page = page_args()
        stmt = audit_entries(
            current_actor(),
            entity=args.get("entity") or None,
            entity_id=args.get("entity_id") or None,
            actor_name=args.get("actor") or None,
            since=parse_since(args.get("since")),
        )
    except ValidationError as exc:
        flash(localize(exc.message), "error")
        return redirect(url_for("web.audit_log"))
    from .audit_display import describe, entity_word

    entries, total = page_of(stmt, page, per_page)
    filters = {
        k: v for k, v in args.items() if k in ("entity", "entity_id", "actor", "since") and v
    }
    return render_template(
        "web/audit.html",
        rows=describe(entries),
        entities=[(code, entity_word(code)) for code in ENTITIES],
        filters=filters,
        page=page,
        per_page=per_page,
        total=total,
    )
