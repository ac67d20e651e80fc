"""Flask CLI commands (API.md "Command line")."""

from __future__ import annotations

import importlib

import click
from flask import Flask

from .errors import DomainError


def _fail(exc: DomainError) -> None:
    raise click.ClickException(f"{exc.code}: {exc.message}")


@click.command("init-union")
@click.argument("code")
@click.argument("name")
def init_union(code: str, name: str) -> None:
    """Create a root union org."""
    from .unions.services import create_union

    try:
        union = create_union(None, code, name, None)
    except DomainError as exc:
        _fail(exc)
    click.echo(f"created union {union.code} {union.name}")


@click.command("create-user")
@click.argument("username")
@click.option("--role", type=click.Choice(["union_staff"]), default="union_staff")
@click.option("--union", "union_code", required=True)
@click.option("--password", required=True)
@click.option("--name", default=None)
def create_user(username: str, role: str, union_code: str, password: str, name: str | None) -> None:
    """Create the first staff account of a union (its password counts as chosen)."""
    from .auth.services import create_union_staff

    try:
        user = create_union_staff(None, union_code, username, password, name or username)
    except DomainError as exc:
        _fail(exc)
    click.echo(f"created user {user.username} ({role}, {union_code})")


@click.command("seed-demo")
def seed_demo() -> None:
    """Load demo data for trying the product and print the demo logins."""
    from .demo import all_logins, seed

    logins = seed()
    if logins is None:
        click.echo("demo data already present")
        logins = all_logins()
    click.echo("Demo logins (用户名 / 密码):")
    for role, username, password in logins:
        click.echo(f"  {role:<28} {username:<16} {password}")


# Feature commands live beside their features; each module exposes `commands`.
FEATURE_COMMANDS = (
    "volunteer.checkin.commands",
    "volunteer.students.commands",
    "volunteer.students.rotation",
    "volunteer.enterprises.commands",
    "volunteer.reports.commands",
    "volunteer.compliance.commands",
    "volunteer.notifications.commands",
    "volunteer.jobs.commands",
    "volunteer.anomalies.commands",
)


def init_app(app: Flask) -> None:
    """Register the commands."""
    for command in (init_union, create_user, seed_demo):
        app.cli.add_command(command)
    for modname in FEATURE_COMMANDS:
        try:
            module = importlib.import_module(modname)
        except ModuleNotFoundError as exc:
            if exc.name == modname:
                continue
            raise
        for command in module.commands:
            app.cli.add_command(command)
