"""金秋助学 volunteer-hours platform: the application factory."""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import config as config_module

# Feature packages; each may have views.py (pages) and api.py (JSON), each with a `bp`.
FEATURES = (
    "auth",
    "unions",
    "students",
    "enterprises",
    "agreements",
    "calendar",
    "checkin",
    "compliance",
    "reports",
    "notifications",
    "followups",
    "jobs",
    "anomalies",
    "records",
    "web",
)
# Features whose reactions.py listens to events (volunteer/events.py), in the order their
# receivers run: stored figures are refreshed before certificates are checked against them.
REACTIONS = (
    "agreements",
    "compliance",
    "reports",
    "periods",
    "notifications",
    "followups",
    "anomalies",
    "records",
)
MODEL_MODULES = (
    "unions",
    "auth",
    "students",
    "enterprises",
    "agreements",
    "calendar",
    "periods",
    "checkin",
    "compliance",
    "reports",
    "notifications",
    "followups",
    "jobs",
    "anomalies",
    "records",
)


def import_models() -> None:
    """Import every model module so that the metadata is complete."""
    from . import audit  # noqa: F401

    for name in MODEL_MODULES:
        importlib.import_module(f"volunteer.{name}.models")


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create and configure the application."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=os.path.join(root, "templates"),
        static_folder=os.path.join(root, "static"),
    )
    app.config.from_mapping(config_module.defaults(app.instance_path))
    if not test_config or not test_config.get("TESTING"):
        app.config.from_mapping(config_module.from_environment())
    if test_config:
        app.config.from_mapping(test_config)
    app.config["SQLALCHEMY_DATABASE_URI"] = config_module.normalize_database_url(
        app.config["SQLALCHEMY_DATABASE_URI"]
    )
    if str(app.config.get("RATELIMIT_STORAGE_URI", "")).startswith(("redis://", "rediss://")):
        # A Redis that does not answer costs a second, not a hung request, before the
        # limiter falls back to memory.
        app.config.setdefault(
            "RATELIMIT_STORAGE_OPTIONS", {"socket_connect_timeout": 1, "socket_timeout": 1}
        )
    config_module.check_production_secrets(app.config, app.debug)
    os.makedirs(app.instance_path, exist_ok=True)
    if os.environ.get("PROXY_FIX"):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore

    _init_extensions(app)
    _register_blueprints(app)
    connect_receivers()
    from .jobs.services import use_app_factory

    use_app_factory(create_app)

    from . import errors_http
    from .web import outbox, security, templating

    errors_http.init_app(app)
    security.init_app(app)
    templating.init_app(app)
    outbox.init_app(app)

    from . import cli

    cli.init_app(app)
    return app


def _init_extensions(app: Flask) -> None:
    from .database import configure_engine
    from .extensions import babel, csrf, db, limiter, login_manager, migrate
    from .i18n import select_locale

    import_models()
    db.init_app(app)
    configure_engine(app)
    migrate.init_app(
        app,
        db,
        render_as_batch=True,
        directory=os.path.join(os.path.dirname(app.root_path), "migrations"),
    )
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"
    csrf.init_app(app)
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=os.path.join(app.root_path, "translations"),
    )
    limiter.init_app(app)


def connect_receivers() -> None:
    """Connect every feature's event receivers (connecting twice changes nothing)."""
    for feature in REACTIONS:
        importlib.import_module(f"volunteer.{feature}.reactions").connect_receivers()


def _register_blueprints(app: Flask) -> None:
    from .extensions import csrf

    for feature in FEATURES:
        for room in ("views", "api"):
            modname = f"volunteer.{feature}.{room}"
            try:
                module = importlib.import_module(modname)
            except ModuleNotFoundError as exc:
                if exc.name == modname:
                    continue
                raise
            app.register_blueprint(module.bp)
            if room == "api":
                csrf.exempt(module.bp)
