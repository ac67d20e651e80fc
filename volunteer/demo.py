"""Demo data: each feature's demo module (seed() and maybe LOGINS), in order."""

from __future__ import annotations

import importlib

from sqlalchemy import select

from .auth.models import User
from .extensions import db

DEMO_MODULES = (
    "volunteer.unions.demo",
    "volunteer.students.demo",
    "volunteer.enterprises.demo",
    "volunteer.agreements.demo",
    "volunteer.checkin.demo",
    "volunteer.compliance.demo",
    "volunteer.records.demo",  # before reports': its certificate carries the seal
    "volunteer.reports.demo",
)


def seed() -> list[tuple[str, str, str]] | None:
    """Create the demo data once; return the logins, or None when already seeded."""
    if db.session.scalar(select(User.id).where(User.username == "sx_admin")):
        return None
    for module in _feature_modules():
        module.seed()
    return all_logins()


def all_logins() -> list[tuple[str, str, str]]:
    """Return every demo login: each feature's `LOGINS`."""
    logins = []
    for module in _feature_modules():
        logins.extend(getattr(module, "LOGINS", []))
    return logins


def _feature_modules():
    """Return the features' demo modules that exist, in order."""
    modules = []
    for modname in DEMO_MODULES:
        try:
            module = importlib.import_module(modname)
        except ModuleNotFoundError as exc:
            if exc.name == modname:
                continue
            raise
        modules.append(module)
    return modules
