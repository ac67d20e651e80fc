"""R42's pages on a phone (390 px): union staff see the queue with counts, read one
anomaly's evidence in words and resolve it; the enterprise sees its own on its page."""

from __future__ import annotations

import subprocess
import sys

from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, ROOT
from tests.e2e.steps import log_in_at

PLANT = r"""
from volunteer import create_app, clock
from volunteer.extensions import db
from volunteer.auth.models import User
from volunteer.anomalies.models import Anomaly, AnomalyStudent
from volunteer.checkin.models import ServiceSession
from sqlalchemy import select
app = create_app()
with app.app_context():
    if db.session.scalar(select(Anomaly.id).where(Anomaly.key == "e2e-travel")):
        raise SystemExit(0)
    ids = dict(db.session.execute(select(User.username, User.student_id)).all())
    ent = db.session.scalar(select(User.enterprise_id).where(User.username == "ent_demo1"))
    a, b = ids["stu_demo1"], ids["stu_demo2"]
    s = db.session.scalars(select(ServiceSession.id).where(ServiceSession.student_id == a)
                           .order_by(ServiceSession.id.desc()).limit(2)).all()
    now = clock.now()
    db.session.add(Anomaly(kind="shared_device", device_id="7c1e2a90-demo", enterprise_id=ent,
        session_ids=list(s), detected_at=now, updated_at=now,
        evidence={"device_id": "7c1e2a90-demo", "days": 30,
                  "first_at": "2026-11-28T08:58:10+08:00", "last_at": "2026-11-28T09:01:40+08:00",
                  "scans": [{"student_id": a, "session_id": s[0], "at": "2026-11-28T08:58:10+08:00", "site_id": 1},
                            {"student_id": b, "session_id": s[-1], "at": "2026-11-28T09:01:40+08:00", "site_id": 1}]},
        students=[AnomalyStudent(student_id=a), AnomalyStudent(student_id=b)]))
    db.session.add(Anomaly(kind="impossible_travel", key="e2e-travel", enterprise_id=ent,
        session_ids=list(s), detected_at=now, updated_at=now,
        evidence={"from": {"session_id": s[-1], "site_id": 1, "site_name": "科技路服务点",
                           "check_out_at": "2026-11-28T11:00:00+08:00"},
                  "to": {"session_id": s[0], "site_id": 2, "site_name": "铜川新区服务点",
                         "check_in_at": "2026-11-28T11:20:00+08:00"},
                  "distance_m": 70850, "minutes": 20, "speed_kmh": 212.6, "limit_kmh": 30.0},
        students=[AnomalyStudent(student_id=a)]))
    db.session.commit()
"""


def plant(server) -> None:
    subprocess.run([sys.executable, "-c", PLANT], cwd=ROOT, env=server.env, check=True, timeout=120)


def test_union_staff_read_and_resolve_anomalies_on_a_phone(server, new_context, shot):
    plant(server)
    page = new_context(PHONE).new_page()
    log_in_at(page, "/anomalies", "xa_staff")
    expect(page.locator("h1")).to_have_text("异常核查")
    expect(page.locator(".anomaly-item")).to_have_count(2)
    shot(page, "anomaly-list")
    page.locator(".anomaly-item a", has_text="不可能的行程").click()
    evidence = page.locator(".evidence")
    expect(evidence).to_contain_text("两地相距 70.8 公里，仅隔 20 分钟")
    expect(evidence).not_to_contain_text("{")
    shot(page, "anomaly-travel")
    page.goto("/anomalies")
    page.locator(".anomaly-item a", has_text="同一设备多人使用").click()
    expect(page.locator(".evidence")).to_contain_text("同一部手机")
    shot(page, "anomaly-shared-device")
    page.check("input[value=dismissed]")
    page.fill("textarea[name=note]", "姐妹二人共用一部手机，已电话核实。")
    page.click("main form button[type=submit]")
    expect(page.locator(".flash-success")).to_contain_text("已处理")
    expect(page.locator("main")).to_contain_text("已排除")
    shot(page, "anomaly-dismissed")
    page.goto("/compliance")
    expect(page.locator(".anomaly-counts")).to_contain_text("不可能的行程")
    shot(page, "dashboard-counts")
