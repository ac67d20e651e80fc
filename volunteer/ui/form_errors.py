"""Placing a refused operation's reasons on the page's form."""

from __future__ import annotations

from flask import flash

from ..i18n import localize


def attach_errors(form, exc) -> None:
    """Show a DomainError next to the form fields it names, else as a flash message."""
    placed = False
    # The page links to what the error is about (an overlapping session), not its number.
    form.overlapping_session_id = (getattr(exc, "extra", None) or {}).get("overlapping_session_id")
    for name, reasons in (getattr(exc, "fields", None) or {}).items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = list(field.errors) + [localize(reason) for reason in reasons]
            placed = True
    if not placed:
        flash(localize(exc.message), "error")
