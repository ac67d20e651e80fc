"""Helpers shared by the check-in tests: codes for a site at a moment."""

from __future__ import annotations

from datetime import datetime, timedelta

from volunteer import clock
from volunteer.checkin import tokens


def code(site, at: datetime | None = None, steps_back: int = 0) -> str:
    """Return the site's rotating token for the step of `at` (default now) minus some."""
    step = tokens.step_at(at or clock.now()) - steps_back
    return tokens.make_rotating_token(site.id, site.secret, step)


def poster(site) -> str:
    """Return the site's poster token."""
    return tokens.make_poster_token(site.id, site.secret)


def scan(api_client, site, action="check_in", token=None, **extra):
    """POST /scan with the site's current code."""
    body = {"token": code(site) if token is None else token, "action": action, **extra}
    return api_client.post("/scan", json=body)


def later(**kw) -> None:
    """Move the frozen clock forward."""
    clock.advance(timedelta(**kw))
