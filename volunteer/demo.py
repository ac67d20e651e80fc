"""Demo data: a province, two cities, their staff — and, per feature, what they run."""

from __future__ import annotations

from sqlalchemy import select

from .auth.models import User
from .auth.services import new_user
from .extensions import db
from .unions.models import Union
from .unions.services import create_union

DEMO_PASSWORD = "Demo-2026!"
# (what, username, password): printed by `flask seed-demo` and `make run`.
LOGINS = [
    ("省总工会 union (province)", "sx_admin", DEMO_PASSWORD),
    ("西安市总工会 union (city)", "xa_staff", DEMO_PASSWORD),
    ("铜川市总工会 union (city)", "tc_staff", DEMO_PASSWORD),
]


def seed() -> list[tuple[str, str, str]] | None:
    """Create the demo data once; return the logins, or None when already seeded."""
    if db.session.scalar(select(User.id).where(User.username == "sx_admin")):
        return None
    create_union(None, "SX", "陕西省总工会", None)
    create_union(None, "XA", "西安市总工会", "SX")
    create_union(None, "TC", "铜川市总工会", "SX")
    for username, code, name in (
        ("sx_admin", "SX", "王主任"),
        ("xa_staff", "XA", "李干事"),
        ("tc_staff", "TC", "张干事"),
    ):
        new_user(
            None,
            username=username,
            password=DEMO_PASSWORD,
            name=name,
            role="union_staff",
            union_code=code,
            initial=False,
        )
    db.session.commit()
    for module in _feature_modules():
        module.seed()
    return all_logins()


def all_logins() -> list[tuple[str, str, str]]:
    """Return every demo login: these and each feature's `LOGINS`."""
    logins = list(LOGINS)
    for module in _feature_modules():
        logins.extend(getattr(module, "LOGINS", []))
    return logins


def _feature_modules():
    """Return the features' demo modules (each has seed() and may have LOGINS), in order."""
    import importlib

    modules = []
    for modname in (
        "volunteer.students.demo",
        "volunteer.enterprises.demo",
        "volunteer.agreements.demo",
        "volunteer.checkin.demo",
        "volunteer.compliance.demo",
        "volunteer.records.demo",  # before reports': its certificate carries the seal
        "volunteer.reports.demo",
    ):
        try:
            module = importlib.import_module(modname)
        except ModuleNotFoundError as exc:
            if exc.name == modname:
                continue
            raise
        modules.append(module)
    return modules


def demo_union(code: str) -> Union:
    """Return a demo union by code."""
    return db.session.get(Union, code)
