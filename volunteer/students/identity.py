"""Identity data (R26): ID numbers, credit codes, phones; encryption and keyed hashes."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import unicodedata
from collections.abc import Sequence
from datetime import date

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric, uscc
from stdnum.util import isdigits

from volunteer import clock
from volunteer.errors import N_, ValidationError

ID_LENGTH = 18
# Resident ID numbers were introduced in 1984; nobody alive was born before 1900.
EARLIEST_BIRTH_YEAR = 1900
_SEPARATORS = " -"
_FULLWIDTH_X = str.maketrans({"ｘ": "X", "Ｘ": "X"})
_PHONE_RE = re.compile(r"1\d{10}")


def _compact_id(value: object) -> str:
    """Return the ID number without separators, full-width digits or a lower-case x."""
    if not isinstance(value, str):
        raise ValidationError.field("id_number", N_("身份证号应为文本"))
    try:
        text = ric.compact(value.translate(_FULLWIDTH_X))
    except stdnum_errors.ValidationError:
        raise ValidationError.field("id_number", N_("身份证号格式错误")) from None
    return "".join(ch for ch in text if ch not in _SEPARATORS)


def normalize_id_number(value: str, *, today: date | None = None) -> str:
    """Return the canonical 18-character ID number, or raise ValidationError."""
    number = _compact_id(value)
    if not number:
        raise ValidationError.field("id_number", N_("请填写身份证号"))
    if len(number) != ID_LENGTH:
        raise ValidationError.field(
            "id_number", N_("身份证号长度应为18位（当前%(n)s位）", n=len(number))
        )
    if not isdigits(number[:-1]) or not (isdigits(number[-1]) or number[-1] == "X"):
        raise ValidationError.field(
            "id_number", N_("身份证号格式错误：前17位应为数字，最后一位为数字或X")
        )
    if number[-1] != ric.calc_check_digit(number):
        raise ValidationError.field("id_number", N_("身份证号校验位错误，请核对"))
    try:
        born_on = ric.get_birth_date(number)
    except stdnum_errors.ValidationError:
        raise ValidationError.field("id_number", N_("身份证号中的出生日期无效")) from None
    if born_on.year < EARLIEST_BIRTH_YEAR:
        raise ValidationError.field("id_number", N_("身份证号中的出生日期无效"))
    if born_on > (today or clock.today()):
        raise ValidationError.field("id_number", N_("身份证号中的出生日期晚于今天"))
    # The birthplace (first six digits) is deliberately not checked: stdnum's region
    # table lags behind re-zoned counties and would refuse real people's numbers.
    return number


def mask_id_number(value: str) -> str:
    """Return the ID number masked for display: the first 3 and last 4 characters."""
    text = (value or "").strip()
    if len(text) <= 7:
        return "*" * len(text)
    return f"{text[:3]}{'*' * (len(text) - 7)}{text[-4:]}"


def normalize_credit_code(value: str) -> str:
    """Return the canonical unified social credit code (GB 32100), or raise ValidationError."""
    if not isinstance(value, str):
        raise ValidationError.field("credit_code", N_("统一社会信用代码应为文本"))
    try:
        code = uscc.compact(value)
    except stdnum_errors.ValidationError:
        raise ValidationError.field("credit_code", N_("统一社会信用代码格式错误")) from None
    if not code:
        raise ValidationError.field("credit_code", N_("请填写统一社会信用代码"))
    try:
        return uscc.validate(code)
    except stdnum_errors.InvalidLength:
        reason = N_("统一社会信用代码长度应为18位（当前%(n)s位）", n=len(code))
    except stdnum_errors.InvalidChecksum:
        reason = N_("统一社会信用代码校验位错误，请核对")
    except stdnum_errors.ValidationError:
        reason = N_(
            "统一社会信用代码格式错误：前8位应为数字，其余为数字或大写字母（不含I、O、Z、S、V）"
        )
    raise ValidationError.field("credit_code", reason)


def normalize_phone(value: str, field: str = "phone") -> str:
    """Return an 11-digit mainland mobile number, or raise ValidationError on `field`."""
    if not isinstance(value, str):
        raise ValidationError.field(field, N_("手机号应为文本"))
    # NFKC turns full-width digits and "＋" typed with a Chinese IME into ASCII.
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", value) if ch not in " -")
    if not digits:
        raise ValidationError.field(field, N_("请填写手机号"))
    # People paste numbers with the country code; the stored form is the bare 11 digits.
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == 11 + len(prefix):
            digits = digits[len(prefix) :]
            break
    if not digits.isascii() or not _PHONE_RE.fullmatch(digits):
        raise ValidationError.field(field, N_("手机号应为以1开头的11位数字"))
    return digits


class UnknownKeyError(KeyError):
    """The ciphertext was written with a key that is not configured any more."""

    def __str__(self) -> str:
        return f"unknown ID encryption key id {self.args[0]!r}: add the old key to the config"


class DecryptionError(ValueError):
    """The ciphertext is damaged or was not written with the key its row names."""


_INFO_AEAD = b"volunteer/id-number/aes-256-gcm/v1"
_INFO_KEY_ID = b"volunteer/id-number/key-id/v1"
_INFO_LOOKUP = b"volunteer/id-number/lookup-hmac/v1"
_AAD = b"volunteer:id_number"
_NONCE_BYTES = 12


def _derive(secret: str, info: bytes) -> bytes:
    """Derive 32 bytes from a configured secret string for one purpose."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(
        secret.encode("utf-8")
    )


class _Key:
    """One configured secret with its derived encryption key, hash key and id."""

    def __init__(self, secret: str) -> None:
        if not isinstance(secret, str) or not secret.strip():
            raise ValueError("ID encryption keys must be non-empty strings")
        self.key_id = hashlib.sha256(_derive(secret, _INFO_KEY_ID)).hexdigest()[:8]
        self.aead = AESGCM(_derive(secret, _INFO_AEAD))
        self.lookup_key = _derive(secret, _INFO_LOOKUP)


def _lookup_text(plain: str) -> bytes:
    # Hash a lightly normalised form so that "…123x" and "…123X " find the same row.
    return plain.strip().upper().encode("utf-8")


class IdCipher:
    """Encrypt ID numbers with AES-256-GCM and hash them for lookups, with key rotation."""

    def __init__(self, primary_key: str, old_keys: Sequence[str] = ()) -> None:
        if isinstance(old_keys, str):
            raise TypeError("old_keys must be a sequence of strings, not one string")
        self._primary = _Key(primary_key)
        self._keys: dict[str, _Key] = {self._primary.key_id: self._primary}
        for secret in old_keys:
            key = _Key(secret)
            known = self._keys.setdefault(key.key_id, key)
            # A repeated secret is harmless; two secrets with one id would mix rows up.
            if known.lookup_key != key.lookup_key:
                raise ValueError(f"two ID encryption keys share the key id {key.key_id}")

    @property
    def primary_key_id(self) -> str:
        """Return the id of the key new rows are written with."""
        return self._primary.key_id

    @property
    def key_ids(self) -> list[str]:
        """Return the ids of every configured key, the primary first."""
        return list(self._keys)

    def encrypt(self, plain: str) -> tuple[str, str]:
        """Return (base64 of nonce + ciphertext, key id) for `plain` under the primary key."""
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._primary.aead.encrypt(nonce, plain.encode("utf-8"), _AAD)
        return base64.b64encode(nonce + sealed).decode("ascii"), self._primary.key_id

    def decrypt(self, ciphertext: str, key_id: str) -> str:
        """Return the plain text of a value written by `encrypt` with key `key_id`."""
        key = self._keys.get(key_id)
        if key is None:
            raise UnknownKeyError(key_id)
        try:
            raw = base64.b64decode(ciphertext.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError, ValueError):
            raise DecryptionError("ID ciphertext is not valid base64") from None
        if len(raw) <= _NONCE_BYTES:
            raise DecryptionError("ID ciphertext is too short")
        try:
            plain = key.aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _AAD)
        except InvalidTag:
            raise DecryptionError(f"ID ciphertext does not match key {key_id}") from None
        return plain.decode("utf-8")

    def needs_reencryption(self, key_id: str) -> bool:
        """Return whether a row written with `key_id` should be rewritten with the primary key."""
        return key_id != self._primary.key_id

    def lookup_hash(self, plain: str) -> str:
        """Return the keyed hash (HMAC-SHA256 hex) stored for uniqueness and lookups."""
        return hmac.new(self._primary.lookup_key, _lookup_text(plain), hashlib.sha256).hexdigest()

    def lookup_hashes(self, plain: str) -> list[str]:
        """Return the keyed hash under every configured key, the primary first."""
        text = _lookup_text(plain)
        return [
            hmac.new(k.lookup_key, text, hashlib.sha256).hexdigest() for k in self._keys.values()
        ]
