"""Database refusals answer 409 conflict (busy) or 400 (out of range), never 500."""

from __future__ import annotations

from sqlalchemy.exc import DataError, OperationalError

from volunteer.errors_http import handle_database_error


def test_locked_database_is_409(app):
    exc = OperationalError("SELECT 1", {}, Exception("database is locked"))
    with app.test_request_context("/api/v1/me"):
        resp, status = handle_database_error(exc)
    assert status == 409 and resp.get_json()["error"]["code"] == "conflict"


def test_data_error_is_400(app):
    exc = DataError("SELECT 1", {}, Exception("integer out of range"))
    with app.test_request_context("/api/v1/me"):
        resp, status = handle_database_error(exc)
    assert status == 400 and resp.get_json()["error"]["code"] == "bad_request"
