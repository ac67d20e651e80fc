"""Union staff pages: the student list, create, edit, detail (reveal ID, aid), import."""

from __future__ import annotations

import io

from flask import (
    Blueprint,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _

from .. import clock
from ..auth.scope import current_actor, role_required
from ..errors import DomainError, ValidationError
from ..i18n import localize
from ..ui.args import positive_int_arg
from ..ui.form_errors import attach_errors
from . import accounts, import_jobs, importing, services
from .forms import AidForm, EditStudentForm, ImportForm, NewStudentForm, StudentForm

bp = Blueprint("students", __name__)

PER_PAGE = 20
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COLUMN_LABELS = {c.field: c.label for c in importing.COLUMNS}


def _page_number() -> int:
    return positive_int_arg("page", 10**6) or 1


def _union_choices(form: StudentForm) -> None:
    unions = services.managed_unions(current_actor())
    form.union_code.choices = [(u.code, f"{u.name}（{u.code}）") for u in unions]


@bp.get("/students")
@role_required("union_staff")
def index():
    actor = current_actor()
    q = request.args.get("q", "").strip()[: services.MAX_QUERY_CHARS]
    union = request.args.get("union", "").strip()
    unions = services.managed_unions(actor)
    if union not in {u.code for u in unions}:
        union = ""  # a stale or foreign filter shows everything in scope, not an error page
    found = services.search_students(
        actor, q=q, union_code=union or None, page=_page_number(), per_page=PER_PAGE
    )
    if not found.items and found.page > found.pages:  # an old link past the last page
        found = services.search_students(
            actor, q=q, union_code=union or None, page=found.pages, per_page=PER_PAGE
        )
    return render_template(
        "students/index.html",
        found=found,
        q=q,
        union=union,
        unions=unions,
        union_names={u.code: u.name for u in unions},
    )


@bp.route("/students/new", methods=["GET", "POST"])
@role_required("union_staff")
def create():
    actor = current_actor()
    form = NewStudentForm()
    _union_choices(form)
    if request.method == "GET" and actor.union_code:
        form.union_code.data = actor.union_code
    if form.validate_on_submit():
        try:
            student = services.create_student(
                actor, username=form.username.data, password=form.password.data, **form.profile()
            )
        except DomainError as exc:
            attach_errors(form, exc)
        else:
            flash(
                _("已登记学生 %(name)s，其账号首次登录须修改密码。", name=student.name), "success"
            )
            return redirect(url_for("students.detail", student_id=student.id))
    return render_template("students/form.html", form=form, student=None)


@bp.route("/students/<int:student_id>/edit", methods=["GET", "POST"])
@role_required("union_staff")
def edit(student_id: int):
    actor = current_actor()
    detail = services.student_detail(actor, student_id)
    student = detail.student
    form = EditStudentForm(obj=student if request.method == "GET" else None)
    _union_choices(form)
    if request.method == "GET":
        form.id_number.data = ""
    if form.validate_on_submit():
        changes = form.profile()
        if not changes["id_number"]:
            changes.pop("id_number")  # blank keeps the stored number
        try:
            services.update_student(actor, student_id, **changes)
        except DomainError as exc:
            attach_errors(form, exc)
        else:
            flash(_("已保存。"), "success")
            return redirect(url_for("students.detail", student_id=student_id))
    return render_template("students/form.html", form=form, student=student)


def _render_detail(
    student_id: int, *, revealed: str | None = None, aid_form: AidForm | None = None
):
    detail = services.student_detail(current_actor(), student_id)
    if aid_form is None:
        aid_form = AidForm(formdata=None)
        aid_form.year.data = clock.today().year
        aid_form.amount_yuan.data = 3000
    return render_template(
        "students/detail.html",
        detail=detail,
        s=detail.student,
        revealed=revealed,
        aid_form=aid_form,
    )


@bp.get("/students/<int:student_id>")
@role_required("union_staff")
def detail(student_id: int):
    return _render_detail(student_id)


@bp.post("/students/<int:student_id>/reveal")
@role_required("union_staff")
def reveal(student_id: int):
    number = services.reveal_id_number(current_actor(), student_id)
    # Shown in this answer only: no redirect, nothing kept in the session, no caching.
    response = make_response(_render_detail(student_id, revealed=number))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/students/<int:student_id>/aid")
@role_required("union_staff")
def add_aid(student_id: int):
    form = AidForm()
    if form.validate_on_submit():
        try:
            services.add_aid_record(
                current_actor(),
                student_id,
                year=form.year.data,
                amount_yuan=form.amount_yuan.data,
                category=form.category.data,
                note=form.note.data or None,
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            flash(_("已添加助学记录。"), "success")
            return redirect(url_for("students.detail", student_id=student_id) + "#aid")
    return _render_detail(student_id, aid_form=form), 400


@bp.route("/students/import", methods=["GET", "POST"])
@role_required("union_staff")
def import_page():
    form = ImportForm()
    problems = None
    if form.validate_on_submit():
        upload = form.file.data
        try:
            outcome = import_jobs.import_or_enqueue(
                current_actor(), (upload.filename or "")[-255:], upload.read()
            )
        except ValidationError as exc:
            if exc.code not in ("import_invalid", "import_too_large"):
                raise
            problems = exc
        else:
            if outcome.job is not None:  # a large list: its page shows the progress
                return redirect(url_for("jobs.job_page", job_id=outcome.job.id))
            created = outcome.students or []
            passwords = {s.id: getattr(s, "initial_password", "") for s in created}
            return _one_time_logins(
                accounts.logins_of(created, passwords),
                _("导入成功：共登记 %(n)s 名学生。", n=outcome.created),
            )
    return render_template(
        "students/import.html",
        form=form,
        problems=problems,
        columns=importing.COLUMNS,
        labels=COLUMN_LABELS,
    )


@bp.get("/students/import/template.xlsx")
@role_required("union_staff")
def import_template():
    return send_file(
        io.BytesIO(importing.template_xlsx()),
        mimetype=XLSX_MIME,
        as_attachment=True,
        download_name="学生导入模板.xlsx",
    )


def _one_time_logins(logins, title: str):
    """The printable list of logins and initial passwords, shown this once (not cached)."""
    page = render_template("students/logins.html", logins=logins, title=title)
    response = make_response(page)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/students/password-reset")
@role_required("union_staff")
def bulk_password_reset():
    ids = [int(i) for i in request.form.getlist("ids") if i.isdigit() and int(i) < 2**31]
    try:
        logins = accounts.reset_student_passwords(current_actor(), ids)
    except ValidationError as exc:
        flash(localize(exc.message), "error")
        return redirect(url_for("students.index"))
    return _one_time_logins(logins, _("已重置 %(n)s 名学生的密码。", n=len(logins)))
