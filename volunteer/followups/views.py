"""Pages of follow-up cases: the list with filters, one case, and the dashboard tile."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..auth.scope import current_actor, role_required
from ..errors import DomainError
from ..i18n import localize
from ..jsonapi import paginated
from ..ui.args import positive_int_arg
from ..ui.form_errors import attach_errors
from . import rules, services
from .forms import AssignForm, NoteForm, ResolveForm

bp = Blueprint("followups", __name__)


# The dashboard tile counts this many cases at most (the list has the exact total).
TILE_CAP = 999


@bp.app_template_global()
def open_followups() -> str:
    """The dashboard tile's number: cases of the actor's subtree still to work."""
    actor = current_actor()
    count = services.active_count(actor, cap=TILE_CAP) if actor is not None else 0
    return f"{TILE_CAP}+" if count > TILE_CAP else str(count)


@bp.app_template_global()
def followup_word(code: str | None) -> str:
    """Return the words for a case status or outcome."""
    text = rules.STATUS_WORDS.get(code or "") or rules.OUTCOME_WORDS.get(code or "")
    return localize(text) if text else (code or "")


@bp.get("/followups")
@role_required("union_staff")
def index():
    actor = current_actor()
    filters = {
        "month": request.args.get("month") or "",
        "status": request.args.get("status", "active"),
        "assignee_id": positive_int_arg("assignee_id"),
    }
    try:
        stmt = services.list_query(
            actor,
            month=filters["month"] or None,
            status=filters["status"] or None,
            assignee_id=filters["assignee_id"],
        )
    except DomainError as exc:
        flash(localize(exc.message), "error")
        return redirect(url_for("followups.index"))
    page = paginated(stmt, tuple, scalars=False)
    return render_template(
        "followups/index.html",
        page=page,
        filters=filters,
        staff=services.assignable_staff(actor),
        statuses=rules.STATUSES,
    )


def _forms(actor) -> tuple[NoteForm, AssignForm, ResolveForm]:
    note, assign, resolve = NoteForm(prefix="n"), AssignForm(prefix="a"), ResolveForm(prefix="r")
    assign.user_id.choices = [
        (u.id, f"{u.name}（{u.union_code}）") for u in services.assignable_staff(actor)
    ]
    resolve.outcome.choices = [(o, followup_word(o)) for o in rules.OUTCOMES]
    return note, assign, resolve


@bp.route("/followups/<int:case_id>", methods=["GET", "POST"])
@role_required("union_staff")
def detail(case_id: int):
    actor = current_actor()
    case = services.get_case(actor, case_id)
    note_form, assign_form, resolve_form = _forms(actor)
    action = request.form.get("action")
    if request.method == "POST":
        form, call = {
            "note": (note_form, lambda: services.add_note(actor, case_id, note_form.text.data)),
            "assign": (
                assign_form,
                lambda: services.assign(actor, case_id, assign_form.user_id.data),
            ),
            "resolve": (
                resolve_form,
                lambda: services.resolve(
                    actor, case_id, resolve_form.outcome.data, resolve_form.note.data
                ),
            ),
        }.get(action, (None, None))
        if form is not None and form.validate_on_submit():
            try:
                call()
            except DomainError as exc:
                attach_errors(form, exc)
            else:
                flash(_("已保存。"), "success")
                return redirect(url_for("followups.detail", case_id=case_id))
    if case["assignee_id"] and request.method == "GET":
        assign_form.user_id.data = case["assignee_id"]
    return render_template(
        "followups/detail.html",
        case=case,
        note_form=note_form,
        assign_form=assign_form,
        resolve_form=resolve_form,
    )
