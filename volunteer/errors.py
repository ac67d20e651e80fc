"""Domain errors with stable codes, and the handlers that turn them into answers."""

from __future__ import annotations

from typing import Any


class Text(str):
    """A message in Chinese that remembers its msgid and values, so a page can translate it.

    It is a plain `str` everywhere (API bodies, logs, tests); `i18n.localize` looks the
    msgid up in the catalog and fills in the values again.
    """

    msgid: str
    values: dict[str, Any]

    def __new__(cls, msgid: str, /, **values: Any) -> Text:
        self = super().__new__(cls, msgid % values if values else msgid)
        self.msgid = msgid
        self.values = values
        return self


def N_(msgid: str, /, **values: Any) -> Text:
    """Mark a message for extraction (pybabel's default keywords include N_); stays Chinese."""
    return Text(msgid, **values)


class DomainError(Exception):
    """A refusal with a stable code, an HTTP status and a message for a person."""

    status = 409

    def __init__(
        self,
        code: str,
        message: str = "",
        *,
        status: int | None = None,
        fields: dict[str, list[str]] | None = None,
        rows: list[dict[str, Any]] | None = None,
        extra: dict[str, Any] | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message or code)
        self.code = code
        self.message = message or code
        if status is not None:
            self.status = status
        self.fields = fields
        self.rows = rows
        self.extra = extra or {}
        # Facts about the refusal that belong inside `error` (e.g. error.sessions, R30).
        self.details = details or {}

    def to_dict(self) -> dict[str, Any]:
        """Return the API body of this error."""
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.fields is not None:
            body["fields"] = self.fields
        if self.rows is not None:
            body["rows"] = self.rows
        body.update(self.details)
        out: dict[str, Any] = {"error": body}
        out.update(self.extra)
        return out


class Unauthorized(DomainError):
    status = 401

    def __init__(self, code: str = "unauthorized", message: str = "", **kw: Any) -> None:
        super().__init__(code, message or N_("请先登录。"), **kw)


class Forbidden(DomainError):
    status = 403

    def __init__(self, code: str = "forbidden", message: str = "", **kw: Any) -> None:
        super().__init__(code, message or N_("无权进行此操作。"), **kw)


class NotFound(DomainError):
    status = 404

    def __init__(self, code: str = "not_found", message: str = "", **kw: Any) -> None:
        super().__init__(code, message or N_("未找到。"), **kw)


class ValidationError(DomainError):
    """400: invalid input. `fields` maps a field to its reasons."""

    status = 400

    def __init__(
        self,
        message: str = "",
        fields: dict[str, list[str]] | None = None,
        code: str = "validation_error",
        **kw: Any,
    ) -> None:
        super().__init__(code, message or N_("输入有误。"), fields=fields, **kw)

    @classmethod
    def field(cls, name: str, reason: str) -> ValidationError:
        """Build a validation error about one field."""
        return cls(reason, fields={name: [reason]})


class Conflict(DomainError):
    """409: well-formed, but a rule or the current state refuses it."""

    status = 409


class RateLimited(DomainError):
    """429: too many attempts; `retry_after` (seconds) becomes the Retry-After header."""

    status = 429

    def __init__(self, message: str = "", retry_after: int | None = None, **kw: Any) -> None:
        super().__init__("rate_limited", message or N_("尝试过于频繁，请稍后再试。"), **kw)
        self.retry_after = retry_after
