"""Pages of the anomaly queue (R42): the list with filters, one anomaly with its
evidence in words, and its resolution; open counts for the staff dashboards."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..auth.scope import current_actor, role_required
from ..errors import DomainError
from ..jsonapi import paginated
from ..ui.form_errors import attach_errors
from . import services
from .forms import ResolveForm
from .models import KINDS, STATUSES

bp = Blueprint("anomalies", __name__)

KIND_WORDS = {
    "shared_device": _l("同一设备多人使用"),
    "impossible_travel": _l("不可能的行程"),
    "location_pattern": _l("多次在范围外扫码"),
    "long_day": _l("单日时长过长"),
    "manual_heavy": _l("手工录入占比过高"),
}
STATUS_WORDS = {"open": _l("待处理"), "dismissed": _l("已排除"), "confirmed": _l("已确认")}


@bp.app_context_processor
def _anomaly_words() -> dict:
    def open_anomaly_counts() -> dict[str, int]:
        actor = current_actor()
        return services.open_counts(actor) if actor is not None else {}

    return {
        "anomaly_kind_word": lambda k: str(KIND_WORDS.get(k, k)),
        "anomaly_status_word": lambda s: str(STATUS_WORDS.get(s, s)),
        "open_anomaly_counts": open_anomaly_counts,
    }


def _filters() -> dict:
    kind = request.args.get("kind") or None
    status = request.args.get("status", "open")
    return {
        "kind": kind if kind in KINDS else None,
        "status": status if status in STATUSES else None,
    }


@bp.get("/anomalies")
@role_required("union_staff", "enterprise_staff")
def index():
    actor = current_actor()
    filters = _filters()
    page = paginated(services.list_anomalies(actor, **filters), lambda a: a)
    return render_template(
        "anomalies/index.html",
        page=page,
        filters=filters,
        kinds=KINDS,
        statuses=STATUSES,
        counts=services.open_counts(actor),
        names=services.names(page["items"]),
    )


def _detail(anomaly_id: int, form: ResolveForm, status: int = 200):
    actor = current_actor()
    anomaly = services.get_anomaly(actor, anomaly_id)
    return render_template(
        "anomalies/detail.html",
        a=anomaly,
        form=form,
        names=services.names([anomaly]),
        sessions=services.sessions_of(actor, anomaly),
        can_reject=actor.role == "enterprise_staff",
    ), status


@bp.get("/anomalies/<int:anomaly_id>")
@role_required("union_staff", "enterprise_staff")
def detail(anomaly_id: int):
    return _detail(anomaly_id, ResolveForm())


@bp.post("/anomalies/<int:anomaly_id>/resolve")
@role_required("union_staff", "enterprise_staff")
def resolve(anomaly_id: int):
    services.get_anomaly(current_actor(), anomaly_id)  # 404 first
    form = ResolveForm()
    if not form.validate_on_submit():
        return _detail(anomaly_id, form, 400)
    try:
        services.resolve_anomaly(
            current_actor(),
            anomaly_id,
            form.status.data,
            form.note.data,
            bool(form.reject_sessions.data),
        )
    except DomainError as exc:
        attach_errors(form, exc)
        return _detail(anomaly_id, form, exc.status)
    flash(_("已处理。"), "success")
    return redirect(url_for("anomalies.detail", anomaly_id=anomaly_id))
