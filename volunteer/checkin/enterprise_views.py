"""Enterprise pages: sessions to confirm (one or many), reject, adjust, manual entry,
who is here now, and the correction inbox (R16, R17)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..auth.scope import current_actor, role_required
from ..errors import DomainError
from ..i18n import localize
from ..ui.form_errors import attach_errors
from ..ui.nav_counts import register_nav_counter
from . import listings, services
from .blueprint import bp
from .filters import STATUS_CHOICES, filtered_sessions, session_filters
from .forms import ActionForm, AdjustForm, DecisionForm, ManualForm, ReasonForm, aware, local_input
from .models import FLAGS

# The navigation shows how much waits behind these pages.
register_nav_counter("checkin.enterprise_sessions", listings.pending_count)
register_nav_counter("checkin.correction_inbox", listings.open_corrections_count)


@bp.get("/checkin/enterprise/sessions")
@role_required("enterprise_staff")
def enterprise_sessions():
    actor = current_actor()
    filters = session_filters()
    page = filtered_sessions(actor, filters)
    return render_template(
        "checkin/enterprise_sessions.html",
        page=page,
        filters=filters,
        sites=listings.enterprise_sites(actor),
        status_choices=STATUS_CHOICES,
        flags=FLAGS,
        months=listings.recent_months(filters["month"] or ""),
        form=ActionForm(),
        open_corrections=listings.open_corrections_count(actor),
    )


def _back(default: str = "checkin.enterprise_sessions"):
    target = request.form.get("next") or ""
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect(url_for(default))


@bp.post("/checkin/enterprise/sessions/confirm")
@role_required("enterprise_staff")
def bulk_confirm():
    ActionForm().validate_on_submit()
    raw = request.form.getlist("ids")
    ids = [int(i) for i in raw if i.isdigit() and int(i) < 2**31]
    if not ids:
        flash(_("请先勾选要确认的记录。"), "warning")
        return _back()
    try:
        count = services.confirm_sessions(current_actor(), ids)
    except DomainError as exc:
        flash(localize(exc.message), "error")
    else:
        flash(_("已确认 %(n)s 条记录。", n=count), "success")
    return _back()


@bp.post("/checkin/sessions/<int:session_id>/confirm")
@role_required("enterprise_staff", "union_staff")
def confirm_one(session_id: int):
    ActionForm().validate_on_submit()
    # Union staff confirm only in a closed or attested month, and their reason is required.
    reason = request.form.get("reason") if current_actor().role == "union_staff" else None
    try:
        services.confirm_session(current_actor(), session_id, reason)
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        flash(localize(exc.message), "error")
    else:
        flash(_("已确认。"), "success")
    return _back()


def _detail(s, reject_form=None, adjust_form=None, status: int = 200):
    adjust_form = adjust_form or AdjustForm(formdata=None)
    if adjust_form.check_in_at.data is None:
        adjust_form.check_in_at.data = local_input(s.check_in_at)
        if s.status not in ("open", "auto_closed"):
            adjust_form.check_out_at.data = local_input(s.check_out_at)
    return render_template(
        "checkin/session_detail.html",
        s=s,
        reject_form=reject_form or ReasonForm(formdata=None),
        adjust_form=adjust_form,
        action_form=ActionForm(),
        **listings.session_context(s),
    ), status


@bp.get("/checkin/sessions/<int:session_id>")
@role_required("enterprise_staff", "union_staff")
def session_detail(session_id: int):
    return _detail(services.get_session(current_actor(), session_id))


@bp.post("/checkin/sessions/<int:session_id>/reject")
@role_required("enterprise_staff", "union_staff")
def reject(session_id: int):
    actor = current_actor()
    s = services.get_session(actor, session_id)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            services.reject_session(actor, s.id, form.reason.data)
        except DomainError as exc:
            if exc.status in (403, 404):
                raise
            attach_errors(form, exc)
        else:
            flash(_("已驳回。"), "success")
            return redirect(url_for("checkin.session_detail", session_id=s.id))
    return _detail(s, reject_form=form, status=400)


@bp.post("/checkin/sessions/<int:session_id>/adjust")
@role_required("enterprise_staff", "union_staff")
def adjust(session_id: int):
    actor = current_actor()
    s = services.get_session(actor, session_id)
    form = AdjustForm()
    if form.validate_on_submit():
        try:
            services.adjust_session(
                actor,
                s.id,
                aware(form.check_in_at.data),
                aware(form.check_out_at.data),
                form.reason.data,
                confirm_long_day=bool(form.confirm_long_day.data),
            )
        except DomainError as exc:
            if exc.status in (403, 404):
                raise
            attach_errors(form, exc)
        else:
            flash(_("已调整并确认。"), "success")
            return redirect(url_for("checkin.session_detail", session_id=s.id))
    return _detail(s, adjust_form=form, status=400)


@bp.route("/checkin/enterprise/sessions/new", methods=["GET", "POST"])
@role_required("enterprise_staff")
def manual_entry():
    actor = current_actor()
    form = ManualForm()
    form.student_id.choices = listings.student_choices(actor)
    form.site_id.choices = listings.site_choices(actor)
    if form.validate_on_submit():
        try:
            services.enter_session(
                actor,
                form.student_id.data,
                form.site_id.data,
                aware(form.check_in_at.data),
                aware(form.check_out_at.data),
                form.reason.data,
                confirm_long_day=bool(form.confirm_long_day.data),
            )
        except DomainError as exc:
            attach_errors(form, exc)
        else:
            flash(_("已补录并确认。"), "success")
            return redirect(url_for("checkin.enterprise_sessions", status=""))
    return render_template("checkin/manual_entry.html", form=form)


@bp.get("/checkin/enterprise/present")
@role_required("enterprise_staff")
def present_now():
    rows = listings.roster(current_actor())
    return render_template("checkin/present_now.html", rows=rows)


@bp.get("/checkin/enterprise/corrections")
@role_required("enterprise_staff")
def correction_inbox():
    actor = current_actor()
    status = request.args.get("status", "open")
    if status not in ("open", "accepted", "declined", ""):
        status = "open"
    rows = listings.corrections_of(actor, status or None, limit=200)
    return render_template(
        "checkin/corrections.html", rows=rows, status=status, form=DecisionForm(formdata=None)
    )


@bp.post("/checkin/corrections/<int:correction_id>/<any(accept, decline):decision>")
@role_required("enterprise_staff")
def decide_correction(correction_id: int, decision: str):
    form = DecisionForm()
    form.validate_on_submit()
    decide = services.accept_correction if decision == "accept" else services.decline_correction
    try:
        decide(current_actor(), correction_id, form.note.data or None)
    except DomainError as exc:
        if exc.status == 404:
            raise
        flash(localize(exc.message), "error")
    else:
        word = (
            _("已接受更正，记录已按申请调整并确认。")
            if decision == "accept"
            else _("已拒绝更正申请。")
        )
        flash(word, "success")
    return redirect(url_for("checkin.correction_inbox"))
