"""The student's installable web app (R41): the manifest, the service worker (served from
the root so that its scope covers every student page and the /s/ links), and the
in-page scanner for when the phone's camera app cannot reach the page or there is no
network."""

from __future__ import annotations

import os

from flask import Response, current_app, jsonify, make_response, render_template, url_for
from flask_babel import gettext as _

from ..auth.scope import current_actor, role_required
from . import services
from .blueprint import bp


@bp.get("/manifest.webmanifest")
def manifest():
    icon = lambda name, size, purpose="any": {  # noqa: E731
        "src": url_for("static", filename=f"img/{name}"),
        "sizes": size,
        "type": "image/png",
        "purpose": purpose,
    }
    response = jsonify(
        {
            "name": _("金秋助学 · 志愿服务"),
            "short_name": _("金秋助学"),
            "lang": "zh-CN",
            "start_url": url_for("checkin.student_home"),
            "scope": "/",
            "display": "standalone",
            "background_color": "#ffffff",
            "theme_color": "#b5261e",
            "icons": [
                icon("icon-192.png", "192x192"),
                icon("icon-512.png", "512x512"),
                icon("icon-maskable-512.png", "512x512", "maskable"),
            ],
            "shortcuts": [{"name": _("扫码签到"), "url": url_for("checkin.scanner")}],
        }
    )
    response.mimetype = "application/manifest+json"
    return response


@bp.get("/sw.js")
def service_worker():
    path = os.path.join(current_app.static_folder or "", "js", "sw.js")
    with open(path, encoding="utf-8") as handle:
        body = handle.read()
    response = Response(body, mimetype="application/javascript")
    # Served from the root: its scope is the whole site (the header says so explicitly).
    response.headers["Service-Worker-Allowed"] = "/"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/checkin/scan")
@role_required("student")
def scanner():
    actor = current_actor()
    open_s = services.open_session_of(actor.student_id)
    response = make_response(render_template("checkin/scanner.html", open_session=open_s))
    # The one page that may use the camera (everywhere else the policy forbids it).
    response.headers["Permissions-Policy"] = "geolocation=(self), camera=(self), microphone=()"
    return response
