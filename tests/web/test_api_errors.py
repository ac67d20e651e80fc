"""The API's error contract: JSON 404, malformed JSON, strict types, 413, order of answers."""

from __future__ import annotations


def test_unknown_api_path_is_json_404(client):
    resp = client.get("/api/v1/nope")
    assert resp.status_code == 404
    assert resp.get_json()["error"]["code"] == "not_found"


def test_malformed_json(client):
    resp = client.post("/api/v1/tokens", data="{not json", content_type="application/json")
    assert resp.status_code == 400
    assert resp.get_json()["error"]["code"] == "bad_request"


def test_wrong_types_are_400(client):
    resp = client.post("/api/v1/tokens", json={"username": 5, "password": True})
    assert resp.status_code == 400
    body = resp.get_json()["error"]
    assert body["code"] == "validation_error"
    assert set(body["fields"]) == {"username", "password"}


def test_body_not_object(client):
    resp = client.post("/api/v1/tokens", json=[1, 2])
    assert resp.status_code == 400


def test_payload_too_large(app_factory):
    app = app_factory(MAX_CONTENT_LENGTH=1000)
    resp = app.test_client().post(
        "/api/v1/tokens", data="x" * 5000, content_type="application/json"
    )
    assert resp.status_code == 413
    assert resp.get_json()["error"]["code"] == "payload_too_large"


def test_order_401_before_404_and_400(client):
    resp = client.post(
        "/api/v1/users/999/password-reset", data="garbage", content_type="application/json"
    )
    assert resp.status_code == 401


def test_openapi_documents_every_route(app, client):
    from volunteer.openapi import undocumented_routes

    assert undocumented_routes(app) == []
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    api_rules = {r.rule for r in app.url_map.iter_rules() if r.rule.startswith("/api/v1")}
    assert len(doc["paths"]) >= len({r.split("<")[0] for r in api_rules}) // 2
    assert "/tokens" in doc["paths"] and "/me" in doc["paths"]


def test_security_headers(client):
    resp = client.get("/login")
    csp = resp.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
