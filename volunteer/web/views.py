"""Pages for everyone: home, language, privacy notice, health check."""

from __future__ import annotations

from flask import (
    Blueprint,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy import text

from ..auth.scope import current_actor
from ..extensions import db
from ..i18n import LOCALES
from ..web_support import home_endpoint

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
    response.set_cookie("lang", code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
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
    db.session.execute(text("SELECT 1"))
    return jsonify({"status": "ok"})
