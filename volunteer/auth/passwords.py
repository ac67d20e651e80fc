"""Password hashing and the password policy."""

from __future__ import annotations

from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from ..errors import N_, ValidationError

# The most common passwords of Chinese leaks, plus the usual suspects.
COMMON_PASSWORDS = {
    "12345678",
    "123456789",
    "1234567890",
    "11111111",
    "88888888",
    "00000000",
    "password",
    "password1",
    "qwertyui",
    "qwerty123",
    "abc12345",
    "abcd1234",
    "a1234567",
    "1qaz2wsx",
    "iloveyou",
    "woaini1314",
    "woaini520",
    "123123123",
    "147258369",
    "987654321",
    "12341234",
    "aa123456",
    "asdfghjk",
    "zxcvbnm123",
    "11223344",
    "5201314520",
    "1q2w3e4r",
    "admin123",
    "changeme",
    "p@ssw0rd",
}
MIN_LENGTH = 8
MAX_LENGTH = 128


def hash_password(password: str) -> str:
    """Hash a password with the configured standard scheme."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def verify_password(password_hash: str, password: str) -> bool:
    """Check a password against its hash."""
    return check_password_hash(password_hash, password)


def check_policy(password: str, username: str, field: str = "password") -> None:
    """Refuse short, overlong, username-like or common passwords (400)."""
    if len(password) < MIN_LENGTH:
        raise ValidationError.field(field, N_("密码至少 %(n)s 位。", n=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        raise ValidationError.field(field, N_("密码最多 %(n)s 位。", n=MAX_LENGTH))
    lowered = password.lower()
    if username and username.lower() in lowered:
        raise ValidationError.field(field, N_("密码不能包含用户名。"))
    if lowered in COMMON_PASSWORDS or len(set(password)) < 3:
        raise ValidationError.field(field, N_("密码过于常见，请换一个。"))
