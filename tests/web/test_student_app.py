"""The student's installable app (R41): manifest, icons, service worker headers, the
in-page scanner page (camera allowed there only), the vendored decoder and its license."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_manifest_and_icons(client):
    resp = client.get("/manifest.webmanifest")
    assert resp.status_code == 200 and resp.mimetype == "application/manifest+json"
    data = resp.get_json()
    assert data["start_url"] == "/checkin/me" and data["scope"] == "/"
    assert data["display"] == "standalone" and data["lang"] == "zh-CN"
    for icon in data["icons"]:
        png = client.get(icon["src"])
        assert png.status_code == 200 and png.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert {"192x192", "512x512"} <= {i["sizes"] for i in data["icons"]}


def test_service_worker_is_served_from_the_root(client):
    resp = client.get("/sw.js")
    assert resp.status_code == 200 and resp.mimetype == "application/javascript"
    assert resp.headers["Service-Worker-Allowed"] == "/"
    body = resp.get_data(as_text=True)
    assert "/checkin/scan" in body and "jsQR.min.js" in body


def test_scanner_page_allows_the_camera_there_only(world, client, login):
    login(world.stu_xa_user)
    resp = client.get("/checkin/scan")
    assert resp.status_code == 200
    assert "camera=(self)" in resp.headers["Permissions-Policy"]
    html = resp.get_data(as_text=True)
    assert "扫一扫" in html and "vendor/jsQR.min.js" in html
    assert '<script src="/static/vendor/jsQR.min.js"' not in html  # loaded lazily
    assert "camera=()" in client.get("/checkin/me").headers["Permissions-Policy"]


def test_scan_page_inline_styles_are_allowed_by_hash(world, client, login, frozen):
    from tests.checkin_support import code

    frozen("2026-11-28 09:00")  # a Saturday: the page offers 签到 (not so on a workday)
    login(world.stu_xa_user)
    resp = client.get(f"/s/{code(world.site_xa)}")
    assert "'sha256-" in resp.headers["Content-Security-Policy"]
    html = resp.get_data(as_text=True)
    assert "<style>" in html and 'media="print" id="full-css"' in html
    assert 'name="device_id"' in html


def test_vendored_decoders_carry_their_licenses():
    vendor = ROOT / "static" / "vendor"
    assert (vendor / "jsQR.min.js").stat().st_size > 50_000
    assert "Apache License" in (vendor / "jsQR.LICENSE").read_text()
    assert "MIT" in (vendor / "qrcode-generator.LICENSE").read_text()
