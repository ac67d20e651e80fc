"""Counts of waiting work beside navigation entries (badges). A feature registers the
counter for its page (it knows its tables); the navigation above only asks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

NAV_COUNTERS: dict[str, Callable[[Any], int]] = {}


def register_nav_counter(endpoint: str, counter: Callable[[Any], int]) -> None:
    """Show counter(actor) as a badge beside the navigation entry of `endpoint`."""
    NAV_COUNTERS[endpoint] = counter


def nav_count(endpoint: str, actor: Any) -> int:
    """Return the waiting count for an entry (0 when none is registered)."""
    counter = NAV_COUNTERS.get(endpoint)
    return counter(actor) if counter else 0
