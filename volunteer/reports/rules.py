"""Pure rules for reports and certificates (R23–R25): periods, codes, fingerprints, masks."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import date

from volunteer.calendar.rules import months_between, parse_month
from volunteer.errors import N_, ValidationError

MAX_CERTIFICATE_MONTHS = 24
CERTIFICATE_KINDS = ("volunteer", "internship")
KIND_WORDS = {"volunteer": "志愿服务", "internship": "实习"}
# Anything else in a code is refused before it reaches the database.
_CODE_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def is_month_over(month: str, today: date) -> bool:
    """Tell whether a YYYY-MM month lies wholly before `today`'s month."""
    return parse_month(month) < f"{today.year:04d}-{today.month:02d}"


def _month_field(name: str, value: object) -> str:
    try:
        return parse_month(value)
    except ValidationError as exc:
        raise ValidationError.field(name, N_("月份格式应为 YYYY-MM。")) from exc


def certificate_months(from_month: object, to_month: object, today: date) -> list[str]:
    """Return the months of a certificate period, or raise 400 naming the bad field.

    The period runs from `from_month` to `to_month` inclusive, at most 24 months, and
    may not reach past the current month.
    """
    first = _month_field("from_month", from_month)
    last = _month_field("to_month", to_month)
    if first > last:
        raise ValidationError.field("to_month", N_("结束月份不能早于开始月份。"))
    current = f"{today.year:04d}-{today.month:02d}"
    if last > current:
        raise ValidationError.field("to_month", N_("不能证明未来月份的时长。"))
    months = months_between(first, last)
    if len(months) > MAX_CERTIFICATE_MONTHS:
        raise ValidationError.field(
            "to_month", N_("一份证明最多涵盖 %(n)s 个月。", n=MAX_CERTIFICATE_MONTHS)
        )
    return months


def parse_kind(value: object) -> str | None:
    """Return a certificate kind, None when absent; 400 when it is not one of the kinds."""
    if value is None or value == "":
        return None
    if value not in CERTIFICATE_KINDS:
        raise ValidationError.field("kind", N_("类型应为 volunteer 或 internship。"))
    return value  # type: ignore[return-value]


def choose_kind(requested: str | None, minutes_by_kind: dict[str, int]) -> str | None:
    """Return the kind to certify: the requested one, else volunteer before internship,
    else None when the period holds no confirmed minutes of any kind."""
    if requested is not None:
        return requested
    for kind in CERTIFICATE_KINDS:
        if minutes_by_kind.get(kind, 0) > 0:
            return kind
    return None


def hours_fingerprint(rows: Iterable[tuple[int, str, int]]) -> str:
    """Return the SHA-256 of the sorted (session_id, month, minutes) confirmed rows."""
    digest = hashlib.sha256()
    for session_id, month, minutes in sorted(rows):
        digest.update(f"{session_id}|{month}|{minutes}\n".encode())
    return digest.hexdigest()


def new_certificate_code() -> str:
    """Return a fresh, unguessable certificate code (128 random bits, URL-safe)."""
    return secrets.token_urlsafe(16)


# Crockford-like: no 0/O, 1/I/L, so that a number read off paper is typed right.
_NUMBER_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
NUMBER_PREFIXES = {"volunteer": "ZY", "internship": "SX"}


def new_certificate_number(kind: str, issued_on: date) -> str:
    """Return a 证明编号 a person can type: ZY20261203-7K3M9Q2P (kind, date, 40 random bits)."""
    tail = "".join(secrets.choice(_NUMBER_ALPHABET) for _ in range(8))
    return f"{NUMBER_PREFIXES[kind]}{issued_on:%Y%m%d}-{tail}"


def normalize_number(text: object) -> str | None:
    """Return a typed certificate number in its stored form (upper case, no spaces)."""
    if not isinstance(text, str):
        return None
    number = "".join(text.split()).upper()
    return number if 8 <= len(number) <= 40 and set(number) <= _CODE_ALPHABET else None


def is_plausible_code(code: object) -> bool:
    """Tell whether a string could be a certificate code (cheap check before a lookup)."""
    return isinstance(code, str) and 8 <= len(code) <= 40 and set(code) <= _CODE_ALPHABET


def mask_name(name: str) -> str:
    """Return a name with its middle hidden: 王小明 → 王*明, 王明 → 王*, 欧阳小明 → 欧**明."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name + "*" if name else "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def covers_any(from_month: str, to_month: str, months: Iterable[str]) -> bool:
    """Tell whether a certificate period includes any of `months`."""
    return any(from_month <= month <= to_month for month in months)


def agreement_label(kind: str, starts_on: date, ends_on: date) -> str:
    """Return an agreement's line on a report: "志愿服务 2026-09-01至2027-06-30"."""
    word = KIND_WORDS.get(kind, kind)
    return f"{word} {starts_on.isoformat()}至{ends_on.isoformat()}"


def service_content(kind: str, industry: str | None) -> str:
    """Return the service content written on a certificate for one enterprise."""
    if kind == "internship":
        return f"{industry}岗位实习" if industry else "岗位实习"
    field = f"（{industry}）" if industry else ""
    return f"金秋助学社会实践志愿服务{field}"
