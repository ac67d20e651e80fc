"""Pages: enterprise monthly report, union summary, certificates and public verification."""

from __future__ import annotations

from contextlib import suppress

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from .. import clock
from ..auth.scope import current_actor, role_required
from ..calendar.rules import add_months
from ..errors import DomainError, NotFound, ValidationError
from ..i18n import current_language, localize, month_name
from ..ui.args import positive_int_arg
from ..ui.chart import compliance_chart_svg
from ..ui.form_errors import attach_errors
from . import services
from .documents import CERTIFICATE_TITLES, hours_text, percent_text
from .downloads import attachment
from .forms import AttestForm, CertificateForm
from .rules import is_month_over

bp = Blueprint("reports", __name__)


@bp.context_processor
def _report_helpers() -> dict:
    return {
        "percent": percent_text,
        "month_word": month_name,
        "certificate_title": lambda kind: localize(CERTIFICATE_TITLES.get(kind, kind)),
        "hours1": lambda minutes: hours_text(minutes, 1),
        "agreement_words": agreement_words,
    }


def agreement_words(label: str) -> str:
    """Return a report row's agreement line (built in Chinese for the files) for the page."""
    if current_language() != "en":
        return label
    for chinese, english in (("志愿服务", _("志愿服务")), ("实习", _("实习")), ("至", " – ")):
        label = label.replace(chinese, english)
    return label.replace("；", "; ")


def _month_arg() -> str:
    """Return ?month= when valid and not in the future, else the current month."""
    raw = request.args.get("month") or clock.current_month()
    try:
        return services.checked_month(raw, clock.today())
    except ValidationError as exc:
        flash(localize(exc.message), "error")
        return clock.current_month()


def _months_around(month: str) -> dict:
    current = clock.current_month()
    later = add_months(month, 1)
    try:
        earlier: str | None = add_months(month, -1)
    except ValueError:  # 0001-01 has no month before it
        earlier = None
    return {
        "month": month,
        "month_label": month_name(month),
        "prev_month": earlier,
        "next_month": later if later <= current else None,
        "current_month": current,
    }


# --- enterprise monthly report (R23) -------------------------------------------------


@bp.get("/reports/enterprise")
@role_required("enterprise_staff", "union_staff")
def enterprise_report_page():
    actor = current_actor()
    month = _month_arg()
    if actor.role == "enterprise_staff":
        enterprise_id = actor.enterprise_id
    else:
        raw = request.args.get("enterprise_id", "")
        if not raw.isdigit():
            choices = services.report_enterprise_choices(actor)
            return render_template(
                "reports/enterprise_pick.html", choices=choices, **_months_around(month)
            )
        enterprise_id = int(raw)
    report = services.build_enterprise_report(actor, enterprise_id, month)
    month_over = is_month_over(month, clock.today())
    # What stands between the enterprise and its signature (R30), listed to settle.
    unresolved: list[dict] = []
    # A month before 2000 (still readable) has nothing to attest: ValidationError.
    if month_over and report.attestation_status != "current":
        with suppress(ValidationError):
            unresolved = services.unresolved_rows(enterprise_id, month)
    return render_template(
        "reports/enterprise_report.html",
        report=report,
        enterprise_id=enterprise_id,
        is_enterprise=actor.role == "enterprise_staff",
        month_over=month_over,
        unresolved=unresolved,
        form=AttestForm(),
        **_months_around(month),
    )


@bp.get("/reports/enterprise/<int:enterprise_id>/<month>.<any(csv, xlsx, pdf):fmt>")
@role_required("enterprise_staff", "union_staff")
def enterprise_report_download(enterprise_id: int, month: str, fmt: str):
    download = services.download_enterprise_report(current_actor(), enterprise_id, month, fmt)
    return attachment(download)


@bp.post("/reports/enterprise/<int:enterprise_id>/<month>/attest")
@role_required("enterprise_staff")
def attest(enterprise_id: int, month: str):
    actor = current_actor()
    services.report_enterprise(actor, enterprise_id)
    form = AttestForm()
    back = url_for("reports.enterprise_report_page", month=month)
    if not form.validate_on_submit():
        flash(_("请先勾选确认，再签字确认。"), "error")
        return redirect(back)
    try:
        _attestation, created = services.attest_month(actor, enterprise_id, month)
    except DomainError as exc:
        flash(localize(exc.message), "error")
        return redirect(back)
    if created:
        flash(_("已签字确认本月名单。此后本企业不能再确认或修改本月的服务记录。"), "success")
    else:
        flash(_("本月已签字确认过。"), "info")
    return redirect(back)


# --- union summary (R24) -------------------------------------------------------------

# Enterprises per page of the summary: a province has a thousand (the files have them all).
ENTERPRISES_PER_PAGE = 50
# How the enterprise table can be ordered: the worst first is what an officer looks for.
ENTERPRISE_SORTS = {
    "name": lambda row: (row.name, row.code_or_id),
    "rate": lambda row: (
        row.compliance_rate is None,
        row.compliance_rate or 0.0,
        -row.missed,
        row.name,
    ),
    "missed": lambda row: (-row.missed, -row.at_risk, row.name),
}


def _enterprise_page(rows: list, page: int, sort: str) -> tuple[list, int]:
    """Return one page of the summary's enterprise rows in the chosen order, and its number."""
    ordered = sorted(rows, key=ENTERPRISE_SORTS[sort])
    page = min(page, max(1, -(-len(ordered) // ENTERPRISES_PER_PAGE)))
    start = (page - 1) * ENTERPRISES_PER_PAGE
    return ordered[start : start + ENTERPRISES_PER_PAGE], page


@bp.get("/reports")
@role_required("union_staff")
def union_summary():
    actor = current_actor()
    month = _month_arg()
    code = request.args.get("union_code") or actor.union_code
    summary = services.build_union_summary(actor, code, month)
    sort = request.args.get("sort", "name")
    sort = sort if sort in ENTERPRISE_SORTS else "name"
    page = positive_int_arg("page") or 1
    enterprises, page = _enterprise_page(summary.enterprise_rows, page, sort)
    # The SVG is built from escaped values by chart.py: safe to inline (no script).
    words = {"title": _("月度达标率"), "lang": current_language()}
    chart = Markup(compliance_chart_svg(summary.history, **words))  # noqa: S704
    # A phone gets its own drawing of the last six months: twelve labels would collide.
    narrow = Markup(compliance_chart_svg(summary.history[-6:], width=360, height=230, **words))  # noqa: S704
    return render_template(
        "reports/union_summary.html",
        summary=summary,
        chart=chart,
        chart_narrow=narrow,
        is_own=summary.union_code == actor.union_code,
        own_union_code=actor.union_code,
        enterprises=enterprises,
        enterprise_page=page,
        enterprises_per_page=ENTERPRISES_PER_PAGE,
        enterprise_sort=sort,
        **_months_around(month),
    )


@bp.get("/reports/unions/<code>/<month>.<any(csv, xlsx):fmt>")
@role_required("union_staff")
def union_summary_download(code: str, month: str, fmt: str):
    return attachment(services.download_union_summary(current_actor(), code, month, fmt))


# --- certificates (R25) --------------------------------------------------------------


def _issue_from_form(actor, student_id: int, form: CertificateForm):
    """Issue a certificate from a submitted form; return it, or None with errors shown."""
    try:
        return services.issue_certificate(
            actor, student_id, form.from_month.data, form.to_month.data, form.kind.data or None
        )
    except DomainError as exc:
        attach_errors(form, exc)
        return None


def _certificate_form(student_id: int) -> CertificateForm:
    form = CertificateForm()
    if not form.is_submitted():
        form.from_month.data, form.to_month.data = services.default_period(
            student_id, clock.today()
        )
    return form


@bp.route("/certificates", methods=["GET", "POST"])
@role_required("student")
def my_certificates():
    actor = current_actor()
    student = services.certificate_student(actor, actor.student_id)
    form = _certificate_form(student.id)
    if form.validate_on_submit():
        certificate = _issue_from_form(actor, student.id, form)
        if certificate is not None:
            flash(_("证明已出具，可下载 PDF。"), "success")
            return redirect(url_for("reports.my_certificates"))
    certificates = services.list_certificates(actor, student.id)
    return render_template(
        "reports/my_certificates.html",
        student=student,
        certificates=certificates,
        form=form,
        current_month=clock.current_month(),
    )


@bp.route("/reports/students/<int:student_id>/certificates", methods=["GET", "POST"])
@role_required("union_staff")
def student_certificates(student_id: int):
    actor = current_actor()
    student = services.certificate_student(actor, student_id)
    form = _certificate_form(student.id)
    if form.validate_on_submit():
        certificate = _issue_from_form(actor, student.id, form)
        if certificate is not None:
            flash(_("证明已出具。"), "success")
            return redirect(url_for("reports.student_certificates", student_id=student.id))
    certificates = services.list_certificates(actor, student.id)
    return render_template(
        "reports/student_certificates.html",
        student=student,
        certificates=certificates,
        form=form,
        current_month=clock.current_month(),
    )


@bp.get("/reports/certificates")
@role_required("union_staff")
def union_certificates():
    actor = current_actor()
    q = (request.args.get("q") or "").strip()[:50]
    pairs = services.search_certificates(actor, q or None)
    return render_template(
        "reports/union_certificates.html",
        q=q,
        students=services.students_named(actor, q),
        certificates=[certificate for certificate, _student in pairs],
        names={certificate.id: student.name for certificate, student in pairs},
    )


@bp.get("/certificates/<int:certificate_id>.pdf")
@role_required("student", "union_staff")
def certificate_download(certificate_id: int):
    return attachment(services.download_certificate(current_actor(), certificate_id))


@bp.get("/verify")
def verify_form():
    """Anyone types a certificate number (R39); a known one opens its verification page."""
    number = (request.args.get("number") or "").strip()[:60]
    if not number:
        return render_template("reports/verify.html", facts=None, code=None, asked=False)
    return redirect(url_for("reports.verify_page", code="".join(number.split())))


@bp.get("/verify/<code>")
def verify_page(code: str):
    try:
        facts = services.verify_certificate(code)
    except NotFound:
        return render_template("reports/verify.html", facts=None, code=code[:40], asked=True), 404
    return render_template("reports/verify.html", facts=facts, code=code, asked=True)
