"""Cron commands: make the reminders that are due, and work the delivery outbox."""

from __future__ import annotations

import time

import click

from .delivery import deliver_due, pending_count
from .reminders import send_reminders


@click.command("send-reminders")
def send_reminders_command() -> None:
    """Create the reminders due now (R34); safe to run again (cron: hourly)."""
    started = time.perf_counter()
    stats = send_reminders()
    click.echo(
        f"reminders: pace {stats.pace_reminder}, confirmations {stats.confirmations_pending}, "
        f"digests {stats.month_digest}, agreements ending {stats.agreement_ending} "
        f"({time.perf_counter() - started:.1f} s)"
    )


@click.command("deliver-notifications")
@click.option("--limit", default=1000, show_default=True, help="most deliveries to attempt")
def deliver_notifications_command(limit: int) -> None:
    """Send due emails and SMS from the outbox, with retries (cron: every minute)."""
    stats = deliver_due(limit=limit)
    if stats.deferred_quiet:
        click.echo(f"quiet hours (22:00–08:00): {pending_count()} waiting until 08:00")
        return
    click.echo(
        f"sent {stats.sent}, retrying {stats.retrying}, failed {stats.failed}, "
        f"capped {stats.capped}, opted out {stats.opted_out}; {pending_count()} pending"
    )


commands = [send_reminders_command, deliver_notifications_command]
