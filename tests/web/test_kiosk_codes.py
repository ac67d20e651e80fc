"""A kiosk's own codes (R41): accepted while the kiosk is live, refused once revoked,
for another site, before activation, or after the site's secret is rotated."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.checkin_support import later, scan
from volunteer import clock
from volunteer.checkin import tokens
from volunteer.checkin.models import Kiosk
from volunteer.checkin.sitecodes import rotate_secret
from volunteer.extensions import db


@pytest.fixture
def saturday(frozen):
    return frozen("2026-11-28 09:00:10")


def make_kiosk(site, activated=True):
    now = clock.now()
    kiosk = Kiosk(
        site_id=site.id,
        label="前台",
        activation_hash=f"h-{site.id}-{now.timestamp()}-{activated}",
        created_at=now,
        activated_at=now if activated else None,
    )
    db.session.add(kiosk)
    db.session.commit()
    return kiosk


def kiosk_code(site, kiosk, at=None, site_id=None):
    key = tokens.kiosk_key(site.secret, kiosk.id)
    step = tokens.step_at(at or clock.now())
    return tokens.make_kiosk_token(site_id or site.id, kiosk.id, key, step)


def test_live_kiosk_codes_check_in_and_out(world, api, saturday):
    stu = api(world.stu_xa_user)
    kiosk = make_kiosk(world.site_xa)
    resp = scan(stu, world.site_xa, token=kiosk_code(world.site_xa, kiosk))
    assert resp.status_code == 201, resp.get_json()
    # the same step cannot serve twice, whichever code carried it
    resp = scan(stu, world.site_xa, "check_out", token=kiosk_code(world.site_xa, kiosk))
    assert resp.get_json()["error"]["code"] == "token_reused"
    later(hours=1)
    resp = scan(stu, world.site_xa, "check_out", token=kiosk_code(world.site_xa, kiosk))
    assert resp.status_code == 200
    # a kiosk code carries the same 60-second window
    old = kiosk_code(world.site_xa, kiosk, clock.now() - timedelta(seconds=75))
    assert scan(stu, world.site_xa, token=old).get_json()["error"]["code"] == "token_expired"


def test_offline_kiosk_code_sent_later(world, api, saturday):
    stu = api(world.stu_xa_user)
    kiosk = make_kiosk(world.site_xa)
    at = clock.now() - timedelta(minutes=30)
    token = kiosk_code(world.site_xa, kiosk, at)
    resp = scan(
        stu, world.site_xa, token=token, scanned_at=clock.to_local(at).isoformat(), offline=True
    )
    assert resp.status_code == 201, resp.get_json()
    assert "offline" in resp.get_json()["session"]["flags"]


@pytest.mark.parametrize("case", ["revoked", "not_activated", "other_site", "rotated", "unknown"])
def test_dead_kiosk_codes_are_refused(world, api, saturday, case):
    stu = api(world.stu_xa_user)
    kiosk = make_kiosk(world.site_xa, activated=case != "not_activated")
    token = kiosk_code(world.site_xa, kiosk)
    if case == "revoked":
        kiosk.revoked_at = clock.now()
        db.session.commit()
    elif case == "other_site":
        # a kiosk of the TC site sealing a code that names the XA site
        other = make_kiosk(world.site_tc)
        key = tokens.kiosk_key(world.site_xa.secret, other.id)
        token = tokens.make_kiosk_token(
            world.site_xa.id, other.id, key, tokens.step_at(clock.now())
        )
    elif case == "rotated":
        rotate_secret(world.ent_xa_staff, world.site_xa.id)
    elif case == "unknown":
        key = tokens.kiosk_key(world.site_xa.secret, 999)
        token = tokens.make_kiosk_token(world.site_xa.id, 999, key, tokens.step_at(clock.now()))
    resp = scan(stu, world.site_xa, token=token)
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "token_invalid"


def test_scan_page_get_refuses_a_revoked_kiosk_code(world, client, login, saturday):
    kiosk = make_kiosk(world.site_xa)
    token = kiosk_code(world.site_xa, kiosk)
    login(world.stu_xa_user)
    assert "签到" in client.get(f"/s/{token}").get_data(as_text=True)
    kiosk.revoked_at = clock.now()
    db.session.commit()
    resp = client.get(f"/s/{token}")
    assert resp.status_code == 400 and "token_invalid" in resp.get_data(as_text=True)
