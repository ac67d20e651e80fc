"""Pages: log in, log out, profile and password change, password reset by union staff."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import login_user, logout_user

from ..errors import DomainError, RateLimited, Unauthorized
from ..extensions import client_address
from ..i18n import localize
from ..ui.form_errors import attach_errors
from . import services
from .forms import ChangePasswordForm, LoginForm, ResetPasswordForm
from .scope import current_actor, role_required

bp = Blueprint("auth", __name__)


def safe_next(target: str | None) -> str | None:
    """Return `target` when it is a path on this site, else None."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        try:
            user = services.log_in(form.username.data.strip(), form.password.data, client_address())
        except RateLimited as exc:
            # The page says how long to wait, and answers 429 like the API (R31).
            form.password.errors.append(localize(exc.message))
            page = render_template("auth/login.html", form=form)
            return page, 429, {"Retry-After": str(exc.retry_after)}
        except Unauthorized as exc:
            form.password.errors.append(localize(exc.message))
        else:
            login_user(user)
            session.pop("login_for_site", None)
            return redirect(safe_next(form.next.data) or url_for("web.home"))
    # Reached from a scan page: say which site the login is for.
    for_site = session.get("login_for_site") if (form.next.data or "").startswith("/s/") else None
    return render_template("auth/login.html", form=form, for_site=for_site)


@bp.post("/logout")
def logout():
    logout_user()
    flash(_("已退出登录。"), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@role_required(allow_initial_password=True)
def change_password():
    actor = current_actor()
    form = ChangePasswordForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        try:
            services.change_password(actor, form.old_password.data, form.new_password.data)
        except DomainError as exc:
            attach_errors(form, exc)
        else:
            login_user(actor)  # the session id carries the new password version
            flash(_("密码已修改。"), "success")
            return redirect(safe_next(form.next.data) or url_for("web.home"))
    return render_template("auth/change_password.html", form=form, actor=actor)


@bp.route("/users/<int:user_id>/password-reset", methods=["GET", "POST"])
@role_required("union_staff")
def reset_password(user_id: int):
    from .models import User
    from .scope import get_or_404, users

    target = get_or_404(users(current_actor()), User, user_id)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(current_actor(), user_id, form.password.data)
        except DomainError as exc:
            attach_errors(form, exc)
        else:
            flash(_("已重置 %(name)s 的密码，对方首次登录时须修改。", name=target.name), "success")
            return redirect(
                request.args.get("next") and safe_next(request.args["next"]) or url_for("web.home")
            )
    return render_template("auth/reset_password.html", form=form, target=target)
