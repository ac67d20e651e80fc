"""Query-string numbers for pages: an id or a page number, or nothing for anything else
(a junk or huge value shows the default page, never an error)."""

from __future__ import annotations

from flask import request


def positive_int_arg(name: str, limit: int = 2**31 - 1) -> int | None:
    """Return the query argument as a whole number in 1..limit, else None."""
    raw = request.args.get(name, "")
    return int(raw) if raw.isdigit() and 0 < int(raw) <= limit else None
