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
