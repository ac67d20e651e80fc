"""The demo enterprises and agreements: every state, and the demo students can check in."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

from volunteer import clock
from volunteer.agreements import demo as agreements_demo
from volunteer.agreements.models import Agreement
from volunteer.agreements.queries import peak_in_use
from volunteer.auth.models import User
from volunteer.auth.services import new_user
from volunteer.enterprises import demo as enterprises_demo
from volunteer.enterprises.models import Enterprise, Site
from volunteer.extensions import db
from volunteer.unions.demo import DEMO_PASSWORD
from volunteer.unions.services import create_union


@pytest.fixture
def base(app, frozen):
    frozen("2026-11-28 09:00")
    create_union(None, "SX", "陕西省总工会", None)
    create_union(None, "XA", "西安市总工会", "SX")
    create_union(None, "TC", "铜川市总工会", "SX")
    for username, code in (("sx_admin", "SX"), ("xa_staff", "XA"), ("tc_staff", "TC")):
        new_user(
            None,
            username=username,
            password=DEMO_PASSWORD,
            name=username,
            role="union_staff",
            union_code=code,
            initial=False,
        )
    db.session.commit()


def test_enterprises_demo(base):
    enterprises_demo.seed()
    enterprises = db.session.scalars(select(Enterprise)).all()
    assert len(enterprises) == 5 and {e.union_code for e in enterprises} == {"XA", "TC"}
    for _, username, password in enterprises_demo.LOGINS:
        user = db.session.scalars(select(User).where(User.username == username)).one()
        assert user.role == "enterprise_staff" and user.must_change_password is False
    located = db.session.scalars(select(Site).where(Site.latitude.is_not(None))).all()
    assert located and all(10 <= s.radius_m <= 5000 for s in located)
    enterprises_demo.seed()  # a second run adds nothing
    assert db.session.query(Enterprise).count() == 5


def test_agreements_demo_without_students_creates_nothing(base):
    enterprises_demo.seed()
    agreements_demo.seed()
    assert db.session.query(Agreement).count() == 0


def test_agreements_demo(base):
    students_demo = pytest.importorskip("volunteer.students.demo")
    students_demo.seed()
    enterprises_demo.seed()
    agreements_demo.seed()
    today = clock.today()
    agreements = db.session.scalars(select(Agreement)).all()
    states = Counter(a.status_on(today) for a in agreements)
    assert set(states) == {"pending", "scheduled", "active", "ended", "terminated"}
    assert states["active"] > len(agreements) / 2
    located = set(db.session.scalars(select(Site.enterprise_id).where(Site.latitude.is_not(None))))
    for username in ("stu_demo1", "stu_demo2"):
        user = db.session.scalars(select(User).where(User.username == username)).one()
        running = [
            a
            for a in agreements
            if a.student_id == user.student_id and a.status_on(today) == "active"
        ]
        assert len(running) == 1 and running[0].kind == "volunteer"
        if username == "stu_demo1":
            assert running[0].enterprise_id not in located
    capacity = {e.id: e.capacity for e in db.session.scalars(select(Enterprise))}
    for enterprise_id, peak in peak_in_use(today, today.replace(year=today.year + 2)).items():
        assert peak <= capacity[enterprise_id]
