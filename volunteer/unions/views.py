"""Pages: the union tree, child unions and their staff."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..auth import services as auth_services
from ..auth.scope import current_actor, get_or_404, role_required, unions
from ..errors import DomainError
from ..ui.form_errors import attach_errors
from . import services
from .forms import ProfileForm, SealForm, StaffForm, UnionForm
from .models import Union

bp = Blueprint("unions", __name__)


@bp.route("/unions", methods=["GET", "POST"])
@role_required("union_staff")
def index():
    actor = current_actor()
    tree = services.list_unions(actor)
    form = UnionForm()
    form.parent_code.choices = [(u.code, f"{u.name}（{u.code}）") for u in tree]
    if form.validate_on_submit():
        try:
            services.create_union(actor, form.code.data, form.name.data, form.parent_code.data)
        except DomainError as exc:
            attach_errors(form, exc)
        else:
            flash(_("已创建工会。"), "success")
            return redirect(url_for("unions.index"))
    staff = services.list_staff(actor)
    return render_template("unions/index.html", tree=tree, form=form, staff=staff)


@bp.route("/unions/<code>/staff", methods=["GET", "POST"])
@role_required("union_staff")
def staff(code: str):
    actor = current_actor()
    union = get_or_404(unions(actor), Union, code)
    form = StaffForm()
    if form.validate_on_submit():
        try:
            auth_services.create_union_staff(
                actor, code, form.username.data, form.password.data, form.name.data
            )
        except DomainError as exc:
            attach_errors(form, exc)
        else:
            flash(_("已创建账号，初次登录须修改密码。"), "success")
            return redirect(url_for("unions.index"))
    return render_template("unions/staff.html", union=union, form=form)


@bp.route("/unions/<code>/profile", methods=["GET", "POST"])
@role_required("union_staff")
def profile(code: str):
    actor = current_actor()
    union = services.managed_union(actor, code)
    form = ProfileForm(obj=union if request.method == "GET" else None)
    seal_form = SealForm(formdata=None)
    if form.validate_on_submit():
        try:
            services.update_profile(
                actor,
                code,
                leader_name=form.leader_name.data,
                contact=form.contact.data,
                require_insurance=bool(form.require_insurance.data),
            )
        except DomainError as exc:
            attach_errors(form, exc)
        else:
            flash(_("已保存工会资料。"), "success")
            return redirect(url_for("unions.profile", code=code))
    return _render_profile(union, form, seal_form)


def _render_profile(union: Union, form: ProfileForm, seal_form: SealForm, status: int = 200):
    seal = services.seal_png(union.code)
    page = render_template(
        "unions/profile.html", union=union, form=form, seal_form=seal_form, has_seal=bool(seal)
    )
    return page, status


@bp.post("/unions/<code>/seal")
@role_required("union_staff")
def seal(code: str):
    actor = current_actor()
    union = services.managed_union(actor, code)
    seal_form = SealForm()
    if seal_form.validate_on_submit():
        try:
            services.upload_seal(actor, code, seal_form.file.data.read(services.SEAL_MAX_BYTES + 1))
        except DomainError as exc:
            attach_errors(seal_form, exc)
        else:
            flash(_("已上传印章。此后出具的证明将加盖此印章。"), "success")
            return redirect(url_for("unions.profile", code=code))
    return _render_profile(union, ProfileForm(obj=union), seal_form, 400)


@bp.get("/unions/<code>/seal.png")
@role_required("union_staff")
def seal_image(code: str):
    union = services.managed_union(current_actor(), code)
    png = services.seal_png(union.code)
    if png is None:
        abort(404)
    response = Response(png, mimetype="image/png")
    response.headers["Cache-Control"] = "no-store"
    return response
