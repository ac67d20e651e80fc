"""The audit log: scoped reads, filters, append-only."""

from __future__ import annotations

import pytest

from volunteer import audit
from volunteer.extensions import db


def test_audit_scoped_and_filtered(world, api):
    from volunteer.unions.services import create_union

    create_union(world.xa_staff, "XA-YT", "雁塔区总工会", "XA")
    create_union(world.tc_staff, "TC-YZ", "耀州区总工会", "TC")
    xa = api(world.xa_staff).get("/audit?entity=union").get_json()
    codes = {item["entity_id"] for item in xa["items"]}
    assert "XA-YT" in codes and "TC-YZ" not in codes
    province = api(world.sx_staff).get("/audit?entity=union").get_json()
    assert {"XA-YT", "TC-YZ"} <= {item["entity_id"] for item in province["items"]}
    assert api(world.xa_staff).get("/audit?entity=bogus").status_code == 400
    assert api(world.xa_staff).get("/audit?since=yesterday").status_code == 400
    assert api(world.ent_xa_staff).get("/audit").status_code == 403


def test_audit_rows_cannot_change(app, make_union):
    make_union("SX")
    entry = db.session.query(audit.AuditEntry).first()
    entry.action = "tampered"
    with pytest.raises(RuntimeError):
        db.session.flush()
    db.session.rollback()
    entry = db.session.query(audit.AuditEntry).first()
    db.session.delete(entry)
    with pytest.raises(RuntimeError):
        db.session.flush()
    db.session.rollback()


def test_audit_page(world, login):
    client = login(world.sx_staff)
    resp = client.get("/audit")
    assert resp.status_code == 200
    assert "审计日志" in resp.get_data(as_text=True)


def test_audit_page_speaks_words_not_json(world, login):
    """Action and object in Chinese, the object by name with a link, each changed field as
    修改前 → 修改后, no JSON, no \\u escapes, no codes."""
    import re

    from volunteer.students.services import update_student

    update_student(world.xa_staff, world.stu_xa.id, major="软件工程")
    client = login(world.sx_staff)
    html = client.get("/audit?entity=student").get_data(as_text=True)
    assert "修改了学生" in html
    assert f'href="/students/{world.stu_xa.id}">王小明</a>' in html
    assert "<dt>专业</dt>" in html
    assert re.search(r"<del>计算机科学</del>.*→.*<ins>软件工程</ins>", html, re.S)
    assert "\\u" not in html and '{"' not in html and "&#34;" not in html
    assert "updated" not in html and "student #" not in html


def test_every_audited_action_has_words():
    """A new audited action must get its words before it reaches the page."""
    import re
    from pathlib import Path

    from volunteer.web.audit_display import ACTION_WORDS

    root = Path(__file__).resolve().parents[2] / "volunteer"
    found = set()
    for path in root.rglob("*.py"):
        text = path.read_text()
        found |= set(re.findall(r"audit\.record\(\s*[\w.]+,\s*\"([a-z_]+)\"", text))
        found |= set(re.findall(r"record_change\([\w.]+, \"([a-z_]+)\"", text))
        found |= set(re.findall(r"_(?:audit|record)\([\w.]+, \"([a-z_]+)\"", text))
        found |= set(re.findall(r"_decide\(actor, s, \"[a-z_]+\", \"([a-z_]+)\"", text))
    assert found, "no audited actions found: the pattern broke"
    assert not found - set(ACTION_WORDS), found - set(ACTION_WORDS)
