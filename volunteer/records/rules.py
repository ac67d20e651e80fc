"""Pure rules of a student's record (R38) and the national export (R40)."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from volunteer.errors import N_, ValidationError
from volunteer.texts import has_control

RATINGS = (1, 2, 3, 4, 5)
RECORD_KINDS = ("training", "award")
MAX_COMMENT = 500
MAX_TITLE = 200
MAX_ISSUER = 100
MAX_RECORD_HOURS = 1000
# R40: the national system's columns, in its order and words.
EXPORT_HEADERS = (
    "姓名",
    "证件类型",
    "证件号码",
    "志愿者编号",
    "服务内容",
    "开始日期",
    "结束日期",
    "服务时长（小时）",
    "记录单位",
    "证明单位",
    "状态",
)
ID_TYPE = "居民身份证"
# A row's status in the sheet: never exported, exported and unchanged, or changed since.
ROW_STATUS_WORDS = {"new": "新增", "exported": "已导出", "changed": "已变更"}


def _text(field: str, value: Any, limit: int, *, required: bool) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValidationError.field(field, N_("必填。"))
        return None
    if not isinstance(value, str):
        raise ValidationError.field(field, N_("应为字符串。"))
    text = value.strip()
    if has_control(text):
        raise ValidationError.field(field, N_("含有不可见的控制字符。"))
    if len(text) > limit:
        raise ValidationError.field(field, N_("不能超过%(n)s个字。", n=limit))
    return text


def clean_evaluation(rating: Any, comment: Any) -> tuple[int, str | None]:
    """Return (rating, comment) or raise 400 naming the field: a rating is 1–5."""
    if isinstance(rating, bool) or not isinstance(rating, int) or rating not in RATINGS:
        raise ValidationError.field("rating", N_("评分应为 1–5 的整数。"))
    return rating, _text("comment", comment, MAX_COMMENT, required=False)


def _tenths(value: Any) -> int | None:
    """Return hours as tenths of an hour (1.5 → 15), None when absent; 400 otherwise."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValidationError.field("hours", N_("学时应为数字。"))
    try:
        hours = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationError.field("hours", N_("学时应为数字。")) from None
    if not hours.is_finite() or not 0 < hours <= MAX_RECORD_HOURS:
        raise ValidationError.field("hours", N_("学时应大于 0，不超过 %(n)s。", n=MAX_RECORD_HOURS))
    return int((hours * 10).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def clean_record(
    kind: Any, title: Any, on: Any, hours: Any, issuer: Any, *, today: date
) -> dict[str, Any]:
    """Return a clean training or award, or raise 400 naming the first bad field."""
    if kind not in RECORD_KINDS:
        raise ValidationError.field("kind", N_("类型应为 training（培训）或 award（表彰）。"))
    clean_title = _text("title", title, MAX_TITLE, required=True)
    if not isinstance(on, date):
        raise ValidationError.field("on", N_("应为日期（YYYY-MM-DD）。"))
    if on > today:
        raise ValidationError.field("on", N_("日期不能晚于今天。"))
    return {
        "kind": kind,
        "title": clean_title,
        "happened_on": on,
        "tenth_hours": _tenths(hours),
        "issuer": _text("issuer", issuer, MAX_ISSUER, required=False),
    }


def hours_one_decimal(minutes: int) -> float:
    """Return minutes as hours rounded half-up to one decimal (R40)."""
    return float((Decimal(minutes) / 60).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def row_status(
    figures: tuple[int, date | None, date | None], mark: tuple[str, int, Any, Any] | None
) -> str:
    """Return "new", "exported" or "changed" for a row's current figures against its mark
    (status, minutes, first_day, last_day) of the last export."""
    if mark is None:
        return "new"
    status, *marked = mark
    if status == "changed" or tuple(marked) != tuple(figures):
        return "changed"
    return "exported"
