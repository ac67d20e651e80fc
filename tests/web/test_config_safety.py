"""R33: no production start with the development secrets; links follow BASE_URL, or the
address the page was served from when it is unset (development)."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD
from volunteer import create_app
from volunteer.config import DEV_ID_KEY, DEV_SECRET_KEY


@pytest.fixture
def bare_env(monkeypatch, tmp_path):
    """An environment that sets nothing but a database, as on a fresh server."""
    for name in ("VOLUNTEER_ENV", "SECRET_KEY", "ID_ENCRYPTION_KEY", "FLASK_DEBUG", "BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/bare.sqlite")
    return monkeypatch


def test_production_refuses_the_development_keys(bare_env):
    with pytest.raises(RuntimeError, match="SECRET_KEY and ID_ENCRYPTION_KEY"):
        create_app()
    bare_env.setenv("SECRET_KEY", "a-real-secret")
    with pytest.raises(RuntimeError, match="ID_ENCRYPTION_KEY"):
        create_app()
    bare_env.setenv("ID_ENCRYPTION_KEY", DEV_ID_KEY)  # set, but to the published value
    with pytest.raises(RuntimeError, match="ID_ENCRYPTION_KEY"):
        create_app()
    bare_env.setenv("SECRET_KEY", DEV_SECRET_KEY)
    bare_env.setenv("ID_ENCRYPTION_KEY", "a-real-id-key")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()


def test_real_keys_or_development_start(bare_env):
    bare_env.setenv("VOLUNTEER_ENV", "development")  # what `make run` sets
    assert create_app().config["SECRET_KEY"] == DEV_SECRET_KEY
    bare_env.setenv("VOLUNTEER_ENV", "production")
    bare_env.setenv("SECRET_KEY", "a-real-secret")
    bare_env.setenv("ID_ENCRYPTION_KEY", "a-real-id-key")
    assert create_app().config["SECRET_KEY"] == "a-real-secret"


def _qr_url(app, ent_staff, site, base_url):
    client = app.test_client()
    resp = client.post(
        "/api/v1/tokens",
        json={"username": ent_staff.username, "password": PASSWORD},
        base_url=base_url,
    )
    token = resp.get_json()["token"]
    qr = client.get(
        f"/api/v1/sites/{site.id}/qr",
        headers={"Authorization": f"Bearer {token}"},
        base_url=base_url,
    )
    assert qr.status_code == 200, qr.get_json()
    return qr.get_json()["url"]


def test_links_use_the_served_address_without_base_url(app, world, frozen):
    from volunteer.reports.certificate_access import verify_url

    frozen("2026-11-28 09:00")
    app.config["BASE_URL"] = ""
    url = _qr_url(app, world.ent_xa_staff, world.site_xa, "http://127.0.0.1:5101")
    assert url.startswith("http://127.0.0.1:5101/s/")
    with app.test_request_context("/", base_url="http://127.0.0.1:5101"):
        assert verify_url("ABC") == "http://127.0.0.1:5101/verify/ABC"
    app.config["BASE_URL"] = "https://zhuxue.example.org/"
    url = _qr_url(app, world.ent_xa_staff, world.site_xa, "http://127.0.0.1:5101")
    assert url.startswith("https://zhuxue.example.org/s/")
    with app.test_request_context("/", base_url="http://127.0.0.1:5101"):
        assert verify_url("ABC") == "https://zhuxue.example.org/verify/ABC"


def test_kiosk_link_uses_the_served_address(app, world, client, frozen):
    frozen("2026-11-28 09:00")
    app.config["BASE_URL"] = ""
    here = "http://127.0.0.1:5101"
    client.post("/login", data={"username": "ent_xa", "password": PASSWORD}, base_url=here)
    resp = client.post(
        "/checkin/enterprise/kiosks",
        data={"site_id": world.site_xa.id, "label": "前台平板"},
        base_url=here,
    )
    assert resp.status_code == 200
    assert "http://127.0.0.1:5101/kiosk/activate/" in resp.get_data(as_text=True)
