"""Logging without personal data (R33): tracebacks keep their frames, not their messages.

An exception's text can carry what a person typed or what the database refused
("Key (username)=(zhangsan) already exists", a phone, a password hash), so an
unexpected error is logged as its type and stack only. SQL parameters are hidden at
the engine (`hide_parameters`), so statements never carry them either.
"""

from __future__ import annotations

import logging
import traceback


def scrubbed_traceback(exc: BaseException) -> str:
    """Return the traceback of `exc` and its causes with every message withheld."""
    parts = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        stack = "".join(traceback.format_tb(current.__traceback__))
        name = f"{type(current).__module__}.{type(current).__qualname__}"
        parts.append(f"Traceback (most recent call last):\n{stack}{name}: (message withheld)\n")
        current = current.__cause__ or current.__context__
    return "\nwhile handling, or caused by:\n".join(reversed(parts))


def log_unexpected(logger: logging.Logger, what: str, exc: BaseException) -> None:
    """Log an unexpected error with its frames but without any data it carried."""
    logger.error("%s: %s\n%s", what, type(exc).__name__, scrubbed_traceback(exc))
