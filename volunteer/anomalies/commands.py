"""The anomaly queue's command for cron (R42)."""

from __future__ import annotations

import time

import click

from .detection import DEFAULT_DAYS, detect_anomalies


@click.command("detect-anomalies")
@click.option("--days", type=click.IntRange(1, 400), default=DEFAULT_DAYS, show_default=True)
def detect_anomalies_command(days: int) -> None:
    """Queue impossible travel, location patterns, long days and manual-heavy months
    found over the last DAYS days (nightly; running it again adds nothing)."""
    started = time.perf_counter()
    counts = detect_anomalies(days=days)
    summary = ", ".join(f"{kind} {n}" for kind, n in counts.items())
    click.echo(f"new anomalies: {summary} ({time.perf_counter() - started:.1f} s)")


commands = [detect_anomalies_command]
