"""Pages: the allowed-day calendar of a month, and root staff's overrides (R3)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import clock
from ..auth.scope import current_actor, role_required
from ..errors import DomainError, Forbidden, ValidationError
from ..i18n import localize
from ..ui.form_errors import attach_errors
from . import services
from .forms import OverrideForm, RemoveOverrideForm
from .rules import add_months, month_bounds, month_of

bp = Blueprint("calendar", __name__)


def _month_arg() -> str:
    value = request.args.get("month") or clock.current_month()
    try:
        return services.parse_month_arg(value)
    except ValidationError:
        flash(_("月份格式应为 YYYY-MM，已显示本月。"), "warning")
        return clock.current_month()


def _weeks(month: str) -> list[list[dict | None]]:
    """Return the month's days in Monday-first weeks (None pads the first and last week)."""
    items = services.month_items(month)
    first, _last = month_bounds(month)
    cells: list[dict | None] = [None] * first.weekday() + items
    cells += [None] * (-len(cells) % 7)
    return [cells[i : i + 7] for i in range(0, len(cells), 7)]


@bp.route("/calendar", methods=["GET", "POST"])
@role_required()
def month():
    actor = current_actor()
    month = _month_arg()
    can_edit = services.is_root_staff(actor)
    form = OverrideForm()
    if request.method == "POST":
        if not can_edit:
            raise Forbidden()
        if form.validate_on_submit():
            try:
                services.set_override(
                    actor, form.day.data, form.kind.data, form.name.data, form.override_reason.data
                )
            except DomainError as exc:
                attach_errors(form, exc)
            else:
                flash(_("已保存日历覆盖设置。"), "success")
                return redirect(url_for("calendar.month", month=month_of(form.day.data)))
    elif form.day.data is None:
        form.day.data = month_bounds(month)[0]
    today = clock.today()
    return render_template(
        "calendar/month.html",
        month=month,
        weeks=_weeks(month),
        prev_month=add_months(month, -1),
        next_month=add_months(month, 1),
        today=today,
        can_edit=can_edit,
        form=form,
        overrides=services.list_overrides(month) if can_edit else [],
        coverage=services.coverage_warnings(today),
    )


@bp.post("/calendar/<day>/remove")
@role_required("union_staff")
def remove(day: str):
    actor = current_actor()
    if not services.is_root_staff(actor):
        raise Forbidden()
    form = RemoveOverrideForm()
    try:
        parsed = services.parse_day(day)
        if not form.validate_on_submit():
            raise ValidationError(_("理由最多 1000 字。"))
        services.delete_override(actor, parsed, form.override_reason.data)
    except DomainError as exc:
        flash(localize(exc.message), "error")
        return redirect(url_for("calendar.month"))
    flash(_("已删除覆盖设置，恢复官方日历。"), "success")
    return redirect(url_for("calendar.month", month=month_of(parsed)))
