"""Personal information (R28): raw coordinates are purged after 90 days, the verdict and
the distance stay; no other table keeps raw coordinates of a person."""

from __future__ import annotations

from sqlalchemy import select

from tests.checkin_support import later, scan
from volunteer.checkin.models import ScanAttempt, ServiceSession
from volunteer.extensions import db

SITE = {"latitude": 34.0, "longitude": 108.0, "radius_m": 100}


def _serve(stu, site, **where):
    opened = scan(stu, site, **where)
    assert opened.status_code == 201, opened.get_json()
    later(hours=2)
    closed = scan(stu, site, "check_out", **where)
    assert closed.status_code == 200, closed.get_json()
    return closed.get_json()["session"]["id"]


def test_purge_locations_keeps_verdict_and_distance(app, world, api, frozen, make_site):
    site = make_site(world.ent_xa, "有坐标的服务点", **SITE)
    stu = api(world.stu_xa_user)
    frozen("2026-09-05 09:00")  # a Saturday, 91 days before the purge
    old = _serve(stu, site, latitude=34.01, longitude=108.0, accuracy_m=20)  # ~1.1 km away
    frozen("2026-12-05 09:00")  # a Saturday
    recent = _serve(stu, site, latitude=34.0001, longitude=108.0, accuracy_m=8)
    result = app.test_cli_runner().invoke(args=["purge-locations"])
    assert result.exit_code == 0 and "purged coordinates of 1 session" in result.output

    db.session.expire_all()
    purged, kept = db.session.get(ServiceSession, old), db.session.get(ServiceSession, recent)
    assert (purged.latitude, purged.longitude, purged.accuracy_m) == (None, None, None)
    assert 1000 < purged.distance_m < 1200
    assert "location_outside" in purged.flag_list
    assert (kept.latitude, kept.longitude, kept.accuracy_m) == (34.0001, 108.0, 8)
    attempts = db.session.scalars(
        select(ScanAttempt).where(ScanAttempt.session_id == old).order_by(ScanAttempt.id)
    ).all()
    assert attempts and {a.location_verdict for a in attempts} == {"location_outside"}
    assert all(a.distance_m and a.distance_m > 1000 for a in attempts)
    # the enterprise still sees why the session stands out, and never the coordinates
    shown = api(world.ent_xa_staff).get(f"/sessions/{old}").get_json()
    assert "location_outside" in shown["flags"] and shown["distance_m"] > 1000
    assert "latitude" not in shown and "longitude" not in shown
    # a second run finds nothing more to purge
    again = app.test_cli_runner().invoke(args=["purge-locations"])
    assert "purged coordinates of 0 session" in again.output


def test_only_sessions_and_sites_hold_coordinates(app):
    """The purge clears service_sessions; sites' coordinates are places, not people. A new
    table keeping a person's raw position would escape the purge: it fails here."""
    holders = {
        table.name
        for table in db.metadata.sorted_tables
        for column in table.columns
        if column.name in ("latitude", "longitude", "lat", "lon", "lng", "accuracy_m")
    }
    assert holders == {"service_sessions", "sites"}
