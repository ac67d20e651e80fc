"""Codes on screens and paper: the enterprise's sites page (codes, kiosks, secrets),
the staff code display, the A4 poster, and the kiosk a tablet runs unattended."""

from __future__ import annotations

from flask import (
    Response,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from ..auth.scope import current_actor, role_required
from ..errors import DomainError
from ..errors_http import localized_body
from ..ui.form_errors import attach_errors
from ..urls import external_url
from . import kiosks, listings, services, sitecodes
from .blueprint import bp
from .forms import ActionForm, KioskForm


def _kiosk_form(actor) -> KioskForm:
    form = KioskForm()
    form.site_id.choices = listings.site_choices(actor)
    return form


def _sites_page(form: KioskForm, status: int = 200):
    actor = current_actor()
    return render_template(
        "checkin/sites.html",
        sites=listings.enterprise_sites(actor),
        kiosk_list=services.list_kiosks(actor),
        form=form,
        action_form=ActionForm(),
    ), status


@bp.get("/checkin/enterprise/sites")
@role_required("enterprise_staff")
def sites():
    return _sites_page(_kiosk_form(current_actor()))


@bp.post("/checkin/enterprise/kiosks")
@role_required("enterprise_staff")
def create_kiosk():
    actor = current_actor()
    form = _kiosk_form(actor)
    if not form.validate_on_submit():
        return _sites_page(form, 400)
    try:
        kiosk, token = services.create_kiosk(actor, form.site_id.data, form.label.data)
    except DomainError as exc:
        attach_errors(form, exc)
        return _sites_page(form, exc.status)
    link = external_url(url_for("checkin.kiosk_activate", token=token))
    # The link is shown once, now: only its hash is stored.
    return render_template(
        "checkin/kiosk_link.html", kiosk=kiosk, link=link, svg=sitecodes.qr_svg(link)
    )


@bp.post("/checkin/enterprise/kiosks/<int:kiosk_id>/revoke")
@role_required("enterprise_staff")
def revoke_kiosk(kiosk_id: int):
    ActionForm().validate_on_submit()
    services.revoke_kiosk(current_actor(), kiosk_id)
    flash(_("平板已停用，它的下一次刷新将显示“已停用”。"), "success")
    return redirect(url_for("checkin.sites"))


@bp.post("/checkin/enterprise/sites/<int:site_id>/rotate")
@role_required("enterprise_staff")
def rotate_secret(site_id: int):
    ActionForm().validate_on_submit()
    services.rotate_secret(current_actor(), site_id)
    flash(_("已更换密钥：此前的二维码（包括已打印的海报）全部失效，请重新打印海报。"), "success")
    return redirect(url_for("checkin.sites"))


# --- the staff's own code screen and the poster --------------------------------------


@bp.get("/checkin/sites/<int:site_id>/display")
@role_required("enterprise_staff")
def site_display(site_id: int):
    site = sitecodes.staff_site(current_actor(), site_id)
    data = kiosks.display(site)
    return render_template(
        "checkin/kiosk.html", data=data, poll_url=url_for("checkin.site_code", site_id=site.id)
    )


@bp.get("/checkin/sites/<int:site_id>/code.json")
@role_required("enterprise_staff")
def site_code(site_id: int):
    site = sitecodes.staff_site(current_actor(), site_id)
    return jsonify(kiosks.display(site))


def _svg(text: str) -> Response:
    response = Response(text, mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/checkin/sites/<int:site_id>/qr.svg")
@role_required("enterprise_staff")
def site_qr_svg(site_id: int):
    code = services.current_code(current_actor(), site_id)
    return _svg(sitecodes.qr_svg(code["url"]))


@bp.get("/checkin/sites/<int:site_id>/poster.svg")
@role_required("enterprise_staff")
def site_poster_svg(site_id: int):
    code = services.printed_code(current_actor(), site_id)
    return _svg(sitecodes.qr_svg(code["url"]))


@bp.get("/checkin/sites/<int:site_id>/poster")
@role_required("enterprise_staff")
def site_poster(site_id: int):
    site = sitecodes.staff_site(current_actor(), site_id)
    code = sitecodes.poster_code(site)
    data = kiosks.display(site)
    return render_template(
        "checkin/poster.html", site=site, data=data, code=code, svg=sitecodes.qr_svg(code["url"])
    )


# --- the kiosk: activation, screen, polling ------------------------------------------


@bp.route("/kiosk/activate/<token>", methods=["GET", "POST"])
def kiosk_activate(token: str):
    kiosk, site = services.pending_activation(token)
    form = ActionForm()
    if not form.validate_on_submit():
        return render_template("checkin/kiosk_activate.html", kiosk=kiosk, site=site, form=form)
    kiosk, device = services.activate_kiosk(token)
    response = make_response(redirect(url_for("checkin.kiosk_screen")))
    response.set_cookie(
        kiosks.DEVICE_COOKIE,
        device,
        max_age=kiosks.DEVICE_COOKIE_DAYS * 24 * 3600,
        httponly=True,
        samesite="Lax",
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
    )
    return response


def _device_kiosk():
    return services.kiosk_for_device(request.cookies.get(kiosks.DEVICE_COOKIE))


@bp.get("/kiosk")
def kiosk_screen():
    kiosk = _device_kiosk()
    if kiosk is None or kiosk.revoked_at is not None:
        state = "revoked" if kiosk is not None else "unknown"
        return render_template("checkin/kiosk_off.html", state=state), 403
    data = services.kiosk_display(kiosk)
    response = make_response(
        render_template(
            "checkin/kiosk.html",
            data=data,
            kiosk=kiosk,
            offline=kiosks.offline_key(kiosk),
            poll_url=url_for("checkin.kiosk_code"),
        )
    )
    # The page carries the kiosk's own key (R41): never kept in a cache.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/kiosk/code.json")
def kiosk_code():
    kiosk = _device_kiosk()
    if kiosk is None:
        message = _("此设备尚未激活为签到平板。")
        return jsonify({"error": {"code": "kiosk_unknown", "message": message}}), 403
    try:
        data = services.kiosk_display(kiosk)
    except DomainError as exc:
        return jsonify(localized_body(exc)), exc.status
    response = jsonify(data)
    response.headers["Cache-Control"] = "no-store"
    return response
