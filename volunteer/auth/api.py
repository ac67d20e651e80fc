"""JSON routes for accounts: tokens, me, passwords."""

from __future__ import annotations

from flask import Blueprint, jsonify

from ..extensions import client_address
from ..jsonapi import Body, Password, Username, documented, parse_body
from . import services
from .scope import current_actor, role_required

bp = Blueprint("auth_api", __name__, url_prefix="/api/v1")


class TokenBody(Body):
    username: Username
    password: Password


class PasswordBody(Body):
    old_password: Password
    new_password: Password


class ResetBody(Body):
    password: Password


@bp.post("/tokens")
@documented(
    "Exchange a username and password for a bearer token",
    body=TokenBody,
    public=True,
    responses={201: "Token issued", 429: "rate_limited, with Retry-After"},
)
def create_token():
    # The body is JSON whatever its Content-Type says (R31): one way to count every attempt.
    data = parse_body(TokenBody)
    token, user = services.create_api_token(data.username, data.password, client_address())
    return jsonify({"token": token, "user": user.to_dict()}), 201


@bp.get("/me")
@documented("The authenticated user")
@role_required(allow_initial_password=True)
def me():
    return jsonify(current_actor().to_dict())


@bp.post("/me/password")
@documented("Change one's own password", body=PasswordBody, responses={204: "Changed"})
@role_required(allow_initial_password=True)
def change_password():
    data = parse_body(PasswordBody)
    services.change_password(current_actor(), data.old_password, data.new_password)
    return "", 204


@bp.post("/users/<int:user_id>/password-reset")
@documented(
    "Reset the password of an account in scope (initial)", body=ResetBody, responses={204: "Reset"}
)
@role_required("union_staff")
def reset_password(user_id: int):
    from .models import User
    from .scope import get_or_404, users

    get_or_404(users(current_actor()), User, user_id)
    data = parse_body(ResetBody)
    services.reset_password(current_actor(), user_id, data.password)
    return "", 204
