"""Pages: the inbox, reading, preferences, and the delivery log staff can see."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..auth.scope import current_actor, role_required
from ..errors import DomainError
from ..i18n import localize
from ..jsonapi import paginated
from ..ui.form_errors import attach_errors
from . import log, rules, services
from .forms import PreferencesForm
from .texts import compose

bp = Blueprint("notifications", __name__)


@bp.app_template_global()
def unread_notifications() -> int:
    """The bell's number for the current actor (one indexed count per page)."""
    actor = current_actor()
    if actor is None or actor.must_change_password:
        return 0
    # Kept on the request, not `g`: tests and scripts reuse one app context across requests.
    req = request._get_current_object()
    if not hasattr(req, "unread_notifications"):
        req.unread_notifications = services.unread_count(actor)
    return req.unread_notifications


@bp.app_template_global()
def notification_text(note) -> tuple[str, str]:
    """Compose a notification's title and body again in the reader's language."""
    title, body = compose(note.kind, note.data or {})
    return localize(title), localize(body)


@bp.app_template_global()
def kind_word(kind: str) -> str:
    """Return the words for a notification kind."""
    return localize(rules.KIND_WORDS.get(kind, kind))


DELIVERY_WORDS = {
    "pending": _l("待发送"),
    "sent": _l("已发送"),
    "failed": _l("发送失败"),
    "capped": _l("超过每日上限"),
    "opted_out": _l("已退订"),
}


@bp.app_template_global()
def delivery_status_word(status: str) -> str:
    """Return the words for a delivery status."""
    return str(DELIVERY_WORDS.get(status, status))


@bp.get("/notifications")
@role_required()
def inbox():
    unread_only = request.args.get("unread") == "1"
    page = paginated(services.inbox_query(current_actor(), unread_only), lambda n: n)
    return render_template("notifications/inbox.html", page=page, unread_only=unread_only)


@bp.post("/notifications/<int:notification_id>/open")
@role_required()
def open_notification(notification_id: int):
    note = services.mark_read(current_actor(), notification_id)
    return redirect(note.link or url_for("notifications.inbox"))


@bp.post("/notifications/read-all")
@role_required()
def read_all():
    services.mark_all_read(current_actor())
    flash(_("已全部标为已读。"), "success")
    return redirect(url_for("notifications.inbox"))


@bp.route("/notifications/preferences", methods=["GET", "POST"])
@role_required()
def preferences():
    actor = current_actor()
    kinds = rules.kinds_for_role(actor.role)
    form = PreferencesForm()
    form.opt_out.choices = [(k, kind_word(k)) for k in kinds]
    if request.method == "GET":
        form.email.data = actor.email
        form.opt_out.data = sorted(services.opted_out_kinds(actor))
    elif form.validate_on_submit():
        try:
            services.save_preferences(actor, form.email.data, form.opt_out.data or [])
        except DomainError as exc:
            attach_errors(form, exc)
        else:
            flash(_("通知设置已保存。"), "success")
            return redirect(url_for("notifications.preferences"))
    return render_template(
        "notifications/preferences.html",
        form=form,
        channels=services.enabled_channels(),
        deliveries=log.own_deliveries(actor),
    )


@bp.get("/notifications/deliveries")
@role_required("union_staff", "enterprise_staff")
def delivery_log():
    status = request.args.get("status") or ""
    page = log.delivery_page(current_actor(), status or None)
    return render_template("notifications/deliveries.html", page=page, status=status)
