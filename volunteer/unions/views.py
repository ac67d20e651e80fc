"""Pages: the union tree, child unions and their staff."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from ..auth import services as auth_services
from ..auth.scope import current_actor, get_or_404, role_required, unions
from ..errors import DomainError
from ..ui.form_errors import attach_errors
from . import services
from .forms import StaffForm, UnionForm
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
