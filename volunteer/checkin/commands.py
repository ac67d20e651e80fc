"""Check-in commands for cron: store auto-closes (R13) and purge old coordinates (R28)."""

from __future__ import annotations

import click

from .sessions import close_stale_sessions, purge_locations


@click.command("close-stale-sessions")
def close_stale_sessions_command() -> None:
    """Close sessions left open past MAX_SESSION_HOURS (R13)."""
    closed = close_stale_sessions()
    click.echo(f"auto-closed {closed} session(s)")


@click.command("purge-locations")
def purge_locations_command() -> None:
    """Delete raw scan coordinates older than 90 days, keeping distance and verdict (R28)."""
    purged = purge_locations()
    click.echo(f"purged coordinates of {purged} session(s)")


commands = [close_stale_sessions_command, purge_locations_command]
