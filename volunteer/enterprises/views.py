"""Pages: enterprises for union staff; 本企业 for enterprise staff."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from .. import clock
from ..auth import scope
from ..auth.scope import current_actor, get_or_404, role_required
from ..errors import DomainError
from ..ui.form_errors import attach_errors
from ..unions.services import list_unions
from . import services
from .forms import EnterpriseEditForm, EnterpriseForm, SiteForm, StaffForm
from .models import Enterprise, Site

bp = Blueprint("enterprises", __name__)
PER_PAGE = 20
AGREEMENTS_SHOWN = 50


def _page() -> int:
    page = request.args.get("page", type=int, default=1)
    return page if page and 0 < page < 10**6 else 1


@bp.get("/enterprises")
@role_required("union_staff")
def index():
    actor = current_actor()
    q, city = request.args.get("q", "")[:100], request.args.get("city", "")[:50]
    page = _page()
    total, items = services.enterprise_page(actor, q, city, page, PER_PAGE)
    in_use = services.in_use_today([e.id for e in items])
    managed = services.managed_ids(actor, [e.id for e in items])
    return render_template(
        "enterprises/index.html",
        items=items,
        in_use=in_use,
        managed=managed,
        union_names=services.union_names({e.union_code for e in items}),
        q=q,
        city=city,
        page=page,
        per_page=PER_PAGE,
        total=total,
    )


@bp.route("/enterprises/new", methods=["GET", "POST"])
@role_required("union_staff")
def create():
    actor = current_actor()
    form = EnterpriseForm()
    form.union_code.choices = [(u.code, f"{u.name}（{u.code}）") for u in list_unions(actor)]
    if request.method == "GET" and actor.union_code:
        form.union_code.data = actor.union_code
    if form.validate_on_submit():
        try:
            enterprise = services.create_enterprise(
                actor, union_code=form.union_code.data, **form.values()
            )
        except DomainError as exc:
            attach_errors(form, exc)
        else:
            flash(
                _(
                    "已登记企业“%(name)s”。下一步：添加服务点和企业管理员账号。",
                    name=enterprise.name,
                ),
                "success",
            )
            return redirect(url_for("enterprises.detail", enterprise_id=enterprise.id))
    return render_template("enterprises/form.html", form=form, enterprise=None)


@bp.get("/enterprises/<int:enterprise_id>")
@role_required("union_staff")
def detail(enterprise_id: int):
    actor = current_actor()
    enterprise = get_or_404(scope.enterprises(actor), Enterprise, enterprise_id)
    manager = services.is_manager(actor, enterprise)
    agreements = services.agreements_with_names(
        actor, enterprise_id=enterprise.id, limit=AGREEMENTS_SHOWN
    )
    return render_template(
        "enterprises/detail.html",
        enterprise=enterprise,
        union_name=services.union_names({enterprise.union_code}).get(enterprise.union_code, ""),
        manager=manager,
        use=services.capacity_in_use(enterprise),
        sites=services.list_sites(enterprise.id) if manager else [],
        staff=services.list_staff(enterprise.id) if manager else [],
        agreements=agreements,
        today=clock.today(),
    )


@bp.route("/enterprises/<int:enterprise_id>/edit", methods=["GET", "POST"])
@role_required("union_staff")
def edit(enterprise_id: int):
    actor = current_actor()
    enterprise = services.get_managed(actor, enterprise_id)
    form = EnterpriseEditForm(obj=enterprise)
    if form.validate_on_submit():
        try:
            services.update_enterprise(actor, enterprise.id, form.values())
        except DomainError as exc:
            attach_errors(form, exc)
        else:
            flash(_("已保存。"), "success")
            return redirect(url_for("enterprises.detail", enterprise_id=enterprise.id))
    return render_template("enterprises/form.html", form=form, enterprise=enterprise)


def _back_to(enterprise_id: int):
    actor = current_actor()
    if actor.role == "enterprise_staff":
        return redirect(url_for("enterprises.my_enterprise"))
    return redirect(url_for("enterprises.detail", enterprise_id=enterprise_id))


@bp.route("/enterprises/<int:enterprise_id>/sites/new", methods=["GET", "POST"])
@role_required("union_staff", "enterprise_staff")
def add_site(enterprise_id: int):
    actor = current_actor()
    enterprise = services.get_managed(actor, enterprise_id)
    form = SiteForm()
    if form.validate_on_submit():
        try:
            site = services.add_site(actor, enterprise.id, **form.values())
        except DomainError as exc:
            attach_errors(form, exc)
        else:
            flash(_("已添加服务点“%(name)s”。", name=site.name), "success")
            return _back_to(enterprise.id)
    return render_template(
        "enterprises/site_form.html", form=form, enterprise=enterprise, site=None
    )


@bp.route("/sites/<int:site_id>/edit", methods=["GET", "POST"])
@role_required("union_staff", "enterprise_staff")
def edit_site(site_id: int):
    actor = current_actor()
    site = services.get_managed_site(actor, site_id)
    enterprise = services.enterprise_of(site)
    form = SiteForm(obj=site)
    if form.validate_on_submit():
        try:
            services.update_site(actor, site.id, form.values())
        except DomainError as exc:
            attach_errors(form, exc)
        else:
            flash(_("已保存服务点。"), "success")
            return _back_to(enterprise.id)
    return render_template(
        "enterprises/site_form.html", form=form, enterprise=enterprise, site=site
    )


@bp.post("/sites/<int:site_id>/active")
@role_required("union_staff", "enterprise_staff")
def set_site_active(site_id: int):
    actor = current_actor()
    site: Site = services.get_managed_site(actor, site_id)
    wanted = request.form.get("active")
    if wanted not in ("0", "1"):
        abort(400)
    services.update_site(actor, site.id, {"is_active": wanted == "1"})
    flash(
        _("服务点已启用。") if wanted == "1" else _("服务点已停用，其二维码不再可用。"), "success"
    )
    return _back_to(site.enterprise_id)


@bp.route("/enterprises/<int:enterprise_id>/staff/new", methods=["GET", "POST"])
@role_required("union_staff")
def add_staff(enterprise_id: int):
    actor = current_actor()
    enterprise = services.get_managed(actor, enterprise_id)
    form = StaffForm()
    if form.validate_on_submit():
        try:
            services.create_enterprise_staff(
                actor, enterprise.id, form.username.data, form.password.data, form.name.data
            )
        except DomainError as exc:
            attach_errors(form, exc)
        else:
            flash(_("已创建企业管理员账号，初次登录须修改密码。"), "success")
            return redirect(url_for("enterprises.detail", enterprise_id=enterprise.id))
    return render_template("enterprises/staff_form.html", form=form, enterprise=enterprise)


@bp.get("/my/enterprise")
@role_required("enterprise_staff")
def my_enterprise():
    actor = current_actor()
    enterprise = get_or_404(scope.enterprises(actor), Enterprise, actor.enterprise_id)
    today = clock.today()
    pending = services.agreements_with_names(actor, status="pending", today=today)
    return render_template(
        "enterprises/mine.html",
        enterprise=enterprise,
        use=services.capacity_in_use(enterprise, today),
        sites=services.list_sites(enterprise.id),
        students=services.students_under_agreement(enterprise.id, today),
        pending=pending,
        today=today,
        # The check-in feature's code screen, when it is installed.
        show_code="checkin.site_display" in current_app.view_functions,
    )
