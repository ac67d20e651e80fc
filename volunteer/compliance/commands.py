"""Compliance commands: check the read model against the raw rows, and fill it once."""

from __future__ import annotations

import time

import click

from ..calendar.services import parse_month_arg
from ..errors import DomainError


def _months(month: str | None) -> list[str] | None:
    if month is None:
        return None
    try:
        return [parse_month_arg(month)]
    except DomainError as exc:
        raise click.BadParameter("YYYY-MM", param_hint="--month") from exc


@click.command("verify-figures")
@click.option("--month", default=None, help="YYYY-MM (default: every month with data)")
@click.option("--limit", default=200, show_default=True, help="differences printed at most")
def verify_figures(month: str | None, limit: int) -> None:
    """Recompute the read model from the raw rows and report every difference."""
    from .readmodel_verify import known_months, verify

    months = _months(month) or known_months()
    started = time.monotonic()
    differences = verify(months)
    for difference in differences[:limit]:
        click.echo(str(difference))
    if len(differences) > limit:
        click.echo(f"… and {len(differences) - limit} more")
    elapsed = time.monotonic() - started
    click.echo(f"{len(differences)} difference(s) in {len(months)} month(s), {elapsed:.1f} s")
    if differences:
        raise SystemExit(1)


@click.command("backfill-figures")
@click.option("--month", default=None, help="YYYY-MM (default: every month with data)")
def backfill_figures(month: str | None) -> None:
    """Fill the read model from the raw rows (once, for a database that predates it)."""
    from .readmodel_verify import backfill

    started = time.monotonic()
    written = backfill(_months(month))
    total = sum(written.values())
    elapsed = time.monotonic() - started
    click.echo(f"wrote {total} student-month row(s) in {len(written)} month(s), {elapsed:.1f} s")


commands = [verify_figures, backfill_figures]
