"""Demo unions for `flask seed-demo`: a province, two cities and their staff."""

from __future__ import annotations

from ..auth.services import new_user
from ..extensions import db
from .services import create_union

# Every demo account shares it; the other features' demo modules reuse it.
DEMO_PASSWORD = "Demo-2026!"
# (what, username, password): printed by `flask seed-demo` and `make run`.
LOGINS = [
    ("省总工会 union (province)", "sx_admin", DEMO_PASSWORD),
    ("西安市总工会 union (city)", "xa_staff", DEMO_PASSWORD),
    ("铜川市总工会 union (city)", "tc_staff", DEMO_PASSWORD),
]


def seed() -> None:
    """Create the province, two cities and a staff account for each."""
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
