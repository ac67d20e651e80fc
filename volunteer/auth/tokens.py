"""Bearer tokens: random, stored hashed, expiring, revoked by a password change."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import bindparam, select

from .. import clock
from ..extensions import db
from .models import ApiToken, User


def hash_token(token: str) -> str:
    """Return the stored form of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(user: User) -> str:
    """Create a token for `user` (added to the session; the caller commits)."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    db.session.add(
        ApiToken(
            user_id=user.id,
            token_hash=hash_token(token),
            password_version=user.password_version,
            created_at=now,
            expires_at=now + timedelta(hours=current_app.config["API_TOKEN_HOURS"]),
        )
    )
    return token


# Built once: every API request runs it (bench/README.md, the scan's hot path).
_TOKEN_USER = (
    select(ApiToken, User)
    .join(User, User.id == ApiToken.user_id)
    .where(ApiToken.token_hash == bindparam("token_hash"))
)


def user_for_token(token: str) -> User | None:
    """Return the user a valid, unexpired, unrevoked token belongs to."""
    if not token or len(token) > 200:
        return None
    row = db.session.execute(_TOKEN_USER, {"token_hash": hash_token(token)}).first()
    if row is None:
        return None
    api_token, user = row
    if api_token.revoked_at is not None or api_token.expires_at <= clock.now():
        return None
    if api_token.password_version != user.password_version or not user.is_enabled:
        return None
    return user
