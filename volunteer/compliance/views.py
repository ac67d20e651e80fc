"""Pages: the union dashboard, student lists, exemptions, month close, the student's own
progress and the enterprise's view of its students (R18–R21, R24)."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from markupsafe import Markup

from .. import clock
from ..auth.scope import current_actor, role_required
from ..calendar.rules import add_months
from ..errors import DomainError, ValidationError
from ..i18n import current_language, localize
from ..ui.args import positive_int_arg
from ..ui.chart import compliance_chart_svg
from ..ui.form_errors import attach_errors
from ..unions.services import list_unions
from . import export_jobs, services
from .forms import CloseForm, ExemptionForm, ReopenForm, RevokeExemptionForm
from .student_record import month_sessions, serves_every_day

bp = Blueprint("compliance", __name__)
LIST_PREVIEW = 20
# Enterprises per page of the dashboard's table: a province has a thousand of them.
ENTERPRISES_PER_PAGE = 25
# Past this many enterprises the filter lists none: the enterprise table picks one.
ENTERPRISE_SELECT_LIMIT = 100


@bp.context_processor
def _filter_limits() -> dict:
    return {"enterprise_select_limit": ENTERPRISE_SELECT_LIMIT}


def _month_arg(default: str | None = None) -> str:
    value = request.args.get("month") or default or clock.current_month()
    try:
        return services.parse_month_arg(value)
    except ValidationError:
        flash(_("月份格式应为 YYYY-MM，已显示本月。"), "warning")
        return clock.current_month()


def _filters() -> dict:
    status = request.args.get("status") or None
    return {
        "union_code": request.args.get("union") or None,
        "enterprise_id": positive_int_arg("enterprise"),
        "status": status if status in services.STATUSES else None,
    }


def _filter_args(month: str, filters: dict) -> dict:
    """Return the query arguments that reproduce the current filters."""
    args = {"month": month}
    if filters.get("union_code"):
        args["union"] = filters["union_code"]
    if filters.get("enterprise_id"):
        args["enterprise"] = filters["enterprise_id"]
    if filters.get("status"):
        args["status"] = filters["status"]
    return args


@bp.get("/compliance")
@role_required("union_staff")
def dashboard():
    month = _month_arg()
    filters = _filters()
    board = services.dashboard(current_actor(), month, **filters)
    title, lang = _("近 12 个月达标率"), current_language()
    # The chart escapes every text and attribute it writes (ui/chart.py). A phone
    # gets the last six months drawn narrow, so that its labels stay legible.
    running = clock.current_month()
    charts = {
        "wide": Markup(  # noqa: S704
            compliance_chart_svg(
                board.history, width=880, height=240, title=title, lang=lang, running=running
            )
        ),
        "narrow": Markup(  # noqa: S704
            compliance_chart_svg(
                board.history[-6:], width=360, height=220, title=title, lang=lang, running=running
            )
        ),
    }
    groups = board.enterprise_groups
    pages = max(1, -(-len(groups) // ENTERPRISES_PER_PAGE))
    page = min(max(1, positive_int_arg("page") or 1), pages)
    start = (page - 1) * ENTERPRISES_PER_PAGE
    return render_template(
        "compliance/dashboard.html",
        board=board,
        charts=charts,
        enterprises=groups[start : start + ENTERPRISES_PER_PAGE],
        enterprise_page=page,
        enterprises_per_page=ENTERPRISES_PER_PAGE,
        args=_filter_args(board.month, filters),
        preview=LIST_PREVIEW,
        prev_month=add_months(board.month, -1),
        next_month=add_months(board.month, 1),
        is_running=board.month == running,
    )


@bp.get("/compliance/students")
@role_required("union_staff")
def students():
    month = _month_arg()
    filters = _filters()
    board = services.dashboard(current_actor(), month, **filters)
    page = max(1, positive_int_arg("page") or 1)
    per_page = 50
    rows = board.listed[(page - 1) * per_page : page * per_page]
    return render_template(
        "compliance/students.html",
        board=board,
        rows=rows,
        page=page,
        per_page=per_page,
        args=_filter_args(board.month, filters),
    )


@bp.get("/compliance/export.xlsx")
@role_required("union_staff", "enterprise_staff")
def export():
    filters = _filters()
    made = export_jobs.export_or_enqueue(
        current_actor(), request.args.get("month"), request.args.get("list", "students"), **filters
    )
    if not isinstance(made, tuple):  # a province-wide list: built in the background
        return redirect(url_for("jobs.job_page", job_id=made.id))
    name, data = made
    from io import BytesIO

    return send_file(
        BytesIO(data),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True,
        download_name=name,
    )


@bp.get("/compliance/students/<int:student_id>/<month>")
@role_required("union_staff")
def student_month(student_id: int, month: str):
    detail = services.month_detail(current_actor(), student_id, month)
    return render_template(
        "compliance/student_month.html",
        detail=detail,
        row=detail.row,
        sessions=month_sessions(student_id, detail.row.month),
        for_staff=True,
        revoke_form=RevokeExemptionForm(formdata=None),
        prev_month=add_months(detail.row.month, -1),
        next_month=add_months(detail.row.month, 1),
    )


@bp.route("/compliance/exemptions/new", methods=["GET", "POST"])
@role_required("union_staff")
def new_exemption():
    actor = current_actor()
    form = ExemptionForm()
    if request.method == "GET":
        form.student_id.data = request.args.get("student_id", "")
        form.month.data = _month_arg()
    student = None
    if form.student_id.data and str(form.student_id.data).isdigit():
        student = services.student_in_managed_scope(actor, int(form.student_id.data))
    if form.validate_on_submit():
        try:
            student = services.resolve_student(
                actor, student.id if student else None, form.student.data
            )
            minutes = _exempt_minutes(form)
            services.create_exemption(
                actor,
                student.id,
                form.month.data,
                form.reason.data,
                minutes,
                override_reason=form.override_reason.data,
            )
        except DomainError as exc:
            attach_errors(form, exc)
        else:
            flash(_("已为 %(name)s 登记免除。", name=student.name), "success")
            return redirect(
                url_for("compliance.student_month", student_id=student.id, month=form.month.data)
            )
    return render_template("compliance/exemption_form.html", form=form, student=student)


def _exempt_minutes(form: ExemptionForm) -> int | None:
    """Return the minutes typed in hours, or None for the whole month (exactly one)."""
    if form.whole.data and form.hours.data is not None:
        raise ValidationError.field("hours", _("已勾选免除全部，请不要再填写时长。"))
    if form.whole.data:
        return None
    if form.hours.data is None:
        raise ValidationError.field("hours", _("请填写免除时长，或勾选免除全部。"))
    return int(round(form.hours.data * 60))


@bp.post("/compliance/exemptions/<int:exemption_id>/revoke")
@role_required("union_staff")
def revoke_exemption(exemption_id: int):
    actor = current_actor()
    exemption = services.exemption_in_scope(actor, exemption_id)
    form = RevokeExemptionForm()
    try:
        if not form.validate_on_submit():
            raise ValidationError(_("请填写撤销理由。"))
        services.revoke_exemption(
            actor, exemption_id, form.reason.data, override_reason=form.override_reason.data
        )
    except DomainError as exc:
        flash(localize(exc.message), "error")
    else:
        flash(_("已撤销免除。"), "success")
    return redirect(
        url_for("compliance.student_month", student_id=exemption.student_id, month=exemption.month)
    )


@bp.route("/compliance/close", methods=["GET", "POST"])
@role_required("union_staff")
def close():
    actor = current_actor()
    month = _month_arg(add_months(clock.current_month(), -1))
    union_code = request.args.get("union") or actor.union_code
    close_form, reopen_form = CloseForm(prefix="close"), ReopenForm(prefix="reopen")
    action = request.form.get("action")
    try:
        if action == "close" and close_form.validate_on_submit():
            services.close_month(actor, union_code, month)
            flash(_("已结算 %(month)s，数据已锁定。", month=month), "success")
            return redirect(url_for("compliance.close", month=month, union=union_code))
        if action == "reopen" and reopen_form.validate_on_submit():
            services.reopen_month(actor, union_code, month, reopen_form.reason.data)
            flash(_("已重新开放 %(month)s。", month=month), "success")
            return redirect(url_for("compliance.close", month=month, union=union_code))
    except DomainError as exc:
        if exc.status == 404:
            raise
        attach_errors(reopen_form if action == "reopen" else close_form, exc)
    state = services.close_state(actor, union_code, month)
    waiting = [] if state.is_closed else services.pending_by_enterprise(state.union, state.month)
    return render_template(
        "compliance/close.html",
        state=state,
        pending_enterprises=waiting,
        unions=list_unions(actor),
        close_form=close_form,
        reopen_form=reopen_form,
        prev_month=add_months(month, -1),
        next_month=add_months(month, 1),
    )


@bp.get("/me/progress")
@role_required("student")
def my_progress():
    progress = services.my_progress(current_actor(), _month_arg())
    month = progress.row.month
    return render_template(
        "compliance/my_progress.html",
        progress=progress,
        every_day=serves_every_day(progress.row.student_id, progress.row.enterprise_ids),
        row=progress.row,
        is_current=month == clock.current_month(),
        prev_month=add_months(month, -1),
        next_month=add_months(month, 1) if month < clock.current_month() else None,
    )


@bp.get("/enterprise/students")
@role_required("enterprise_staff")
def enterprise_students():
    month = _month_arg()
    status = _filters()["status"]
    rows, figures = services.list_compliance(current_actor(), month, status=status)
    return render_template(
        "compliance/enterprise_students.html",
        month=month,
        rows=services.by_severity(rows),
        summary=figures,
        status=status,
        confirm_url=url_for("checkin.enterprise_sessions")
        if "checkin.enterprise_sessions" in current_app.view_functions
        else None,
        prev_month=add_months(month, -1),
        next_month=add_months(month, 1),
    )


def _register_record_pages() -> None:
    # The record pages add their routes to `bp`; importing them here registers them.
    from . import record_views  # noqa: F401


_register_record_pages()
