"""Pages: enterprises evaluate their students; the student's record; the national export."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import clock
from ..auth.scope import current_actor, role_required
from ..calendar.rules import add_months, parse_month
from ..errors import DomainError, ValidationError
from ..i18n import localize, month_name
from ..reports.downloads import attachment
from ..reports.rules import is_month_over
from ..ui.form_errors import attach_errors
from . import exports, services
from .forms import EvaluationForm, RecordForm

bp = Blueprint("records", __name__)


def _month_arg(*, over: bool = False) -> str:
    """Return ?month= when valid (not in the future; `over`: already over), else a default."""
    current = clock.current_month()
    default = add_months(current, -1) if over else current
    raw = request.args.get("month") or default
    try:
        month = parse_month(raw)
    except ValidationError:
        return default
    if not "2000-01" <= month <= current or (over and not is_month_over(month, clock.today())):
        return default
    return month


# --- evaluations (enterprise) ---------------------------------------------------------


@bp.get("/evaluations")
@role_required("enterprise_staff")
def evaluations():
    month = _month_arg()
    hosted = services.hosted_students(current_actor(), month)
    forms = {}
    for item in hosted:
        if item.evaluation is None:
            form = EvaluationForm(formdata=None, prefix=f"a{item.agreement.id}")
            form.month.data = month
            forms[item.agreement.id] = form
    return render_template(
        "records/evaluations.html",
        hosted=hosted,
        forms=forms,
        month=month,
        month_label=month_name(month),
        prev_month=add_months(month, -1),
        next_month=add_months(month, 1) if month < clock.current_month() else None,
    )


@bp.post("/evaluations/<int:agreement_id>")
@role_required("enterprise_staff")
def evaluate(agreement_id: int):
    services.evaluable_agreement(current_actor(), agreement_id)  # 404 before the form
    form = EvaluationForm(prefix=f"a{agreement_id}")
    month = form.month.data or clock.current_month()
    back = url_for("records.evaluations", month=month) + f"#a{agreement_id}"
    if not form.validate_on_submit():
        for errors in form.errors.values():
            flash("；".join(str(e) for e in errors), "error")
        return redirect(back)
    try:
        services.evaluate(
            current_actor(), agreement_id, month, int(form.rating.data), form.comment.data
        )
    except DomainError as exc:
        flash(localize(exc.message), "error")
    else:
        flash(_("已提交评价。"), "success")
    return redirect(back)


# --- the student's record -------------------------------------------------------------


def _render_record(student_id: int, form: RecordForm | None = None, status: int = 200):
    actor = current_actor()
    page = services.record_page(actor, student_id)
    if form is None and actor.role == "union_staff":
        form = RecordForm(formdata=None)
        form.on.data = clock.today()
    return render_template("records/student_record.html", page=page, form=form), status


@bp.get("/students/<int:student_id>/volunteer-record")
@role_required("union_staff")
def student_record(student_id: int):
    return _render_record(student_id)


@bp.post("/students/<int:student_id>/volunteer-record")
@role_required("union_staff")
def add_record(student_id: int):
    services.record_page(current_actor(), student_id)  # 404 before reading the form
    form = RecordForm()
    if form.validate_on_submit():
        try:
            services.add_record(
                current_actor(),
                student_id,
                kind=form.kind.data,
                title=form.title.data,
                on=form.on.data,
                hours=form.hours.data,
                issuer=form.issuer.data,
            )
        except DomainError as exc:
            attach_errors(form, exc)
        else:
            flash(_("已记录。"), "success")
            return redirect(url_for("records.student_record", student_id=student_id) + "#records")
    return _render_record(student_id, form, 400)


@bp.get("/my/record")
@role_required("student")
def my_record():
    actor = current_actor()
    return _render_record(actor.student_id)


# --- the national export (union) --------------------------------------------------------


@bp.get("/reports/national-export")
@role_required("union_staff")
def national_export():
    actor = current_actor()
    code = request.args.get("union_code") or actor.union_code
    union = exports.export_union(actor, code)
    month = _month_arg(over=True)
    rows = exports.month_rows(union, month)
    return render_template(
        "records/national_export.html",
        union=union,
        month=month,
        month_label=month_name(month),
        prev_month=add_months(month, -1),
        next_month=add_months(month, 1)
        if is_month_over(add_months(month, 1), clock.today())
        else None,
        rows=rows,
        changed=exports.changed_since_export(actor, union.code),
        exported=exports.exported_months(union),
    )


@bp.get("/reports/national-export/<code>/<month>.xlsx")
@role_required("union_staff")
def national_export_download(code: str, month: str):
    return attachment(exports.download_export(current_actor(), code, month))
