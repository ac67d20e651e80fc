"""The JSON API's plumbing: strict bodies, pagination, documentation marks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from flask import current_app, request
from pydantic import BaseModel, ConfigDict, StringConstraints
from pydantic import ValidationError as PydanticError
from sqlalchemy import Select, func, select

from .errors import N_, ValidationError
from .extensions import db

M = TypeVar("M", bound=BaseModel)
F = TypeVar("F", bound=Callable[..., Any])

Text100 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Text200 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
Password = Annotated[str, StringConstraints(min_length=1, max_length=128)]
Username = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]

REASONS = {
    "missing": N_("必填。"),
    "string_type": N_("应为字符串。"),
    "int_type": N_("应为整数。"),
    "bool_type": N_("应为 true 或 false。"),
    "float_type": N_("应为数字。"),
    "date_type": N_("应为日期（YYYY-MM-DD）。"),
    "date_from_datetime_parsing": N_("应为日期（YYYY-MM-DD）。"),
    "date_parsing": N_("应为日期（YYYY-MM-DD）。"),
    "datetime_type": N_("应为带时区的时间（ISO 8601）。"),
    "datetime_parsing": N_("应为带时区的时间（ISO 8601）。"),
    "timezone_aware": N_("时间须带时区，例如 +08:00。"),
    "string_too_long": N_("过长。"),
    "string_too_short": N_("不能为空。"),
    "greater_than_equal": N_("过小。"),
    "less_than_equal": N_("过大。"),
    "greater_than": N_("过小。"),
    "less_than": N_("过大。"),
    "literal_error": N_("取值无效。"),
    "list_type": N_("应为数组。"),
    "too_long": N_("项目过多。"),
    "too_short": N_("项目过少。"),
    "string_pattern_mismatch": N_("格式不正确。"),
    "model_type": N_("应为 JSON 对象。"),
    "dict_type": N_("应为 JSON 对象。"),
}


class Body(BaseModel):
    """Base of request bodies: strict types, unknown fields ignored."""

    model_config = ConfigDict(strict=True, extra="ignore")


def _fields_of(exc: PydanticError) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "body"
        reason = REASONS.get(err["type"], str(err.get("msg", "无效。"))[:200])
        fields.setdefault(loc, []).append(reason)
    return fields


def parse_body(model: type[M]) -> M:
    """Parse the JSON body strictly into `model`: 400 bad_request or validation_error."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        raw = b"{}"
    try:
        import json

        json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # nesting beyond the stack
        raise ValidationError(N_("请求体不是有效的 JSON。"), code="bad_request") from exc
    try:
        return model.model_validate_json(raw)
    except PydanticError as exc:
        fields = _fields_of(exc)
        if "body" in fields:
            raise ValidationError(N_("请求体应为 JSON 对象。"), code="bad_request") from exc
        raise ValidationError(N_("输入有误。"), fields=fields) from exc


def sent_fields(data: BaseModel) -> dict[str, Any]:
    """Return the fields a PATCH/PUT body sent (a body naming none of them is a 400)."""
    fields = {name: getattr(data, name) for name in data.model_fields_set}
    if not fields:
        raise ValidationError(N_("请求体中没有可修改的字段。"), code="bad_request")
    return fields


def validate_args(model: type[M]) -> M:
    """Parse query-string arguments (lax: they are strings by nature) into `model`."""
    try:
        return model.model_validate(request.args.to_dict(), strict=False)
    except PydanticError as exc:
        raise ValidationError(N_("查询参数有误。"), fields=_fields_of(exc)) from exc


def page_args(per_page_default: int | None = None) -> tuple[int, int]:
    """Return (page, per_page) from the query string, validated."""
    max_per = current_app.config["PER_PAGE_MAX"]
    out = []
    for name, default, upper in (
        ("page", 1, 10**6),
        ("per_page", per_page_default or current_app.config["PER_PAGE_DEFAULT"], max_per),
    ):
        raw = request.args.get(name)
        if raw is None or raw == "":
            out.append(default)
            continue
        if not raw.isdigit() or not 1 <= int(raw) <= upper:
            raise ValidationError.field(name, N_("应为 1–%(n)s 的整数。", n=upper))
        out.append(int(raw))
    return out[0], out[1]


def paginated(
    stmt: Select,
    serialize: Callable[[Any], dict],
    *,
    scalars: bool = True,
    per_page_default: int | None = None,
) -> dict:
    """Run `stmt` for the requested page: {items, total, page, per_page}."""
    page, per_page = page_args(per_page_default)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    paged = stmt.limit(per_page).offset((page - 1) * per_page)
    rows = db.session.scalars(paged) if scalars else db.session.execute(paged)
    return {
        "items": [serialize(r) for r in rows],
        "total": total,
        "page": page,
        "per_page": per_page,
    }


def documented(
    summary: str,
    *,
    body: type[BaseModel] | None = None,
    query: dict[str, str] | None = None,
    public: bool = False,
    responses: dict[int, str] | None = None,
    multipart: bool = False,
) -> Callable[[F], F]:
    """Describe an endpoint for /api/v1/openapi.json."""

    def mark(view: F) -> F:
        view._api_doc = {  # type: ignore[attr-defined]
            "summary": summary,
            "body": body,
            "query": query or {},
            "public": public,
            "responses": responses or {},
            "multipart": multipart,
        }
        return view

    return mark
