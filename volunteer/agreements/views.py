"""Pages: agreements for union staff (list, create with suggestions, detail), students' own."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import clock
from ..auth import scope
from ..auth.scope import current_actor, get_or_404, role_required
from ..errors import DomainError, ValidationError
from ..i18n import localize
from ..students.models import Student
from ..ui.form_errors import attach_errors
from . import changes, services, suggestions
from .forms import AgreementForm, EndForm, TerminateForm, TermsForm
from .models import Agreement
from .rules import STATUSES

bp = Blueprint("agreements", __name__)
PER_PAGE = 20
CARDS = 5
PICKER_SIZE = 20


def _page() -> int:
    page = request.args.get("page", type=int, default=1)
    return page if page and 0 < page < 10**6 else 1


def _id_arg(name: str) -> int | None:
    """Return an id from the query string, or None when absent or beyond any real id."""
    value = request.args.get(name, type=int)
    return value if value is not None and 0 < value < 2**31 else None


def _date_arg(name: str) -> date | None:
    raw = request.args.get(name, "").strip()
    try:
        return date.fromisoformat(raw) if len(raw) == 10 else None
    except ValueError:
        return None


@bp.get("/agreements")
@role_required("union_staff")
def index():
    actor = current_actor()
    status = request.args.get("status", "")
    status = status if status in STATUSES else ""
    q = request.args.get("q", "").strip()[:50]
    enterprise_id = _id_arg("enterprise_id")
    page = _page()
    total, rows = services.agreement_page(
        actor, status=status or None, enterprise_id=enterprise_id, q=q, page=page, per_page=PER_PAGE
    )
    args = {
        k: v for k, v in {"status": status, "q": q, "enterprise_id": enterprise_id}.items() if v
    }
    return render_template(
        "agreements/index.html",
        rows=rows,
        status=status,
        q=q,
        args=args,
        page=page,
        per_page=PER_PAGE,
        total=total,
        today=clock.today(),
    )


@bp.route("/agreements/new", methods=["GET", "POST"])
@role_required("union_staff")
def create():
    actor = current_actor()
    today = clock.today()
    student_id = _id_arg("student_id")
    if student_id is None:
        q = request.args.get("q", "").strip()[:50]
        students = services.unmatched_students(actor, q, today, PICKER_SIZE)
        return render_template("agreements/pick_student.html", students=students, q=q)
    student = get_or_404(scope.managed_students(actor), Student, student_id)
    default_start, default_end = services.default_period(today)
    start = _date_arg("starts_on") or default_start
    end = _date_arg("ends_on") or max(start, default_end)
    try:
        ranked = suggestions.suggest_enterprises(actor, student.id, start, end, limit=None)
    except ValidationError:
        flash(_("服务期间有误，已改用默认期间。"), "warning")
        start, end = default_start, default_end
        ranked = suggestions.suggest_enterprises(actor, student.id, start, end, limit=None)
    form = AgreementForm()
    form.enterprise_id.choices = [
        (s.enterprise.id, f"{s.enterprise.name}（{_('剩余')} {s.match.remaining}）") for s in ranked
    ]
    if request.method == "GET":
        form.student_id.data = str(student.id)
        form.starts_on.data, form.ends_on.data = start, end
        chosen = _id_arg("enterprise_id")
        if chosen is not None:
            form.enterprise_id.data = chosen
    if form.validate_on_submit():
        try:
            agreement = services.create_agreement(actor, student_id=student.id, **form.values())
        except DomainError as exc:
            attach_errors(form, exc)
        else:
            flash(_("已创建协议。"), "success")
            return redirect(url_for("agreements.detail", agreement_id=agreement.id))
    return render_template(
        "agreements/create.html",
        student=student,
        form=form,
        cards=ranked[:CARDS],
        start=start,
        end=end,
    )


@bp.get("/agreements/<int:agreement_id>")
@role_required("union_staff", "enterprise_staff", "student")
def detail(agreement_id: int):
    actor = current_actor()
    agreement = services.get_readable(actor, agreement_id)
    today = clock.today()
    form = TerminateForm()
    if not form.effective_on.data:
        form.effective_on.data = max(min(today, agreement.ends_on), agreement.starts_on)
    end_form = EndForm(formdata=None)
    end_form.ends_on.data = agreement.ends_on
    return _render_detail(actor, agreement, form, end_form)


def _render_detail(actor, agreement: Agreement, form, end_form, status_code: int = 200):
    student, enterprise = services.parties_of(agreement)
    today = clock.today()
    status = agreement.status_on(today)
    return render_template(
        "agreements/detail.html",
        agreement=agreement,
        student=student,
        enterprise=enterprise,
        status=status,
        can_sign=_can_sign(actor, agreement, status),
        can_terminate=actor.role in ("union_staff", "enterprise_staff")
        and agreement.terminated_on is None
        and status in ("pending", "scheduled", "active"),
        can_change_end=actor.role == "union_staff" and agreement.terminated_on is None,
        is_union=actor.role == "union_staff",
        form=form,
        end_form=end_form,
        today=today,
    ), status_code


def _can_sign(actor, agreement: Agreement, status: str) -> bool:
    if status != "pending" or agreement.terminated_on is not None or agreement.paper_signed_on:
        return False
    if actor.role == "student":
        return agreement.student_signed_at is None
    if actor.role == "enterprise_staff":
        return agreement.enterprise_signed_at is None
    return False


def _safe_back(default: str) -> str:
    target = request.form.get("next", "")
    return target if target.startswith("/") and not target.startswith("//") else default


@bp.route("/agreements/<int:agreement_id>/terms", methods=["GET", "POST"])
@role_required("union_staff", "enterprise_staff")
def edit_terms(agreement_id: int):
    actor = current_actor()
    agreement = services.get_readable(actor, agreement_id)
    student, enterprise = services.parties_of(agreement)
    form = TermsForm(obj=agreement if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            changes.update_terms(actor, agreement_id, **form.terms())
        except DomainError as exc:
            attach_errors(form, exc)
        else:
            flash(_("已保存协议条款。"), "success")
            return redirect(url_for("agreements.detail", agreement_id=agreement_id))
    return render_template(
        "agreements/terms.html",
        agreement=agreement,
        student=student,
        enterprise=enterprise,
        form=form,
    )


@bp.post("/agreements/<int:agreement_id>/sign")
@role_required("student", "enterprise_staff")
def sign(agreement_id: int):
    actor = current_actor()
    services.get_readable(actor, agreement_id)
    try:
        agreement = services.sign_agreement(actor, agreement_id)
    except DomainError as exc:
        flash(localize(exc.message), "error")
    else:
        if agreement.status_on(clock.today()) == "pending":
            flash(_("已签署，等待对方签署后生效。"), "success")
        else:
            flash(_("已签署，协议已生效。"), "success")
    return redirect(_safe_back(url_for("agreements.detail", agreement_id=agreement_id)))


@bp.post("/agreements/<int:agreement_id>/terminate")
@role_required("union_staff", "enterprise_staff")
def terminate(agreement_id: int):
    actor = current_actor()
    services.get_readable(actor, agreement_id)
    form = TerminateForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            flash("；".join(str(e) for e in errors), "error")
    else:
        try:
            changes.terminate_agreement(
                actor,
                agreement_id,
                form.reason.data,
                form.effective_on.data,
                override_reason=form.override_reason.data if actor.role == "union_staff" else None,
            )
        except DomainError as exc:
            flash(localize(exc.message), "error")
        else:
            flash(_("已终止协议。"), "success")
    return redirect(url_for("agreements.detail", agreement_id=agreement_id))


@bp.post("/agreements/<int:agreement_id>/ends-on")
@role_required("union_staff")
def change_end(agreement_id: int):
    actor = current_actor()
    agreement = services.get_readable(actor, agreement_id)
    form = EndForm()
    if form.validate_on_submit():
        try:
            changes.change_end(
                actor, agreement_id, form.ends_on.data, override_reason=form.override_reason.data
            )
        except DomainError as exc:
            attach_errors(form, exc)
            status = exc.status
        else:
            flash(_("已修改协议结束日期。"), "success")
            return redirect(url_for("agreements.detail", agreement_id=agreement_id))
    else:
        status = 400
    return _render_detail(actor, agreement, TerminateForm(formdata=None), form, status)


@bp.get("/my/agreements")
@role_required("student")
def my_agreements():
    actor = current_actor()
    today = clock.today()
    rows = services.own_agreements(actor, today)
    return render_template("agreements/mine.html", rows=rows, today=today)
