"""R33: logs never carry SQL parameters, password hashes or personal data."""

from __future__ import annotations

import logging

from sqlalchemy import text

PHONE = "13912345678"
NAME = "隐私姓名"
HASH = "scrypt:32768:8:1$abcdefgh$0123456789abcdef"
HARDSHIP = "父亲重病住院"


def _boom():
    from volunteer.extensions import db

    # A statement that fails with personal data bound as parameters …
    db.session.execute(
        text("INSERT INTO no_such_table (a, b, c, d) VALUES (:phone, :name, :hash, :hardship)"),
        {"phone": PHONE, "name": NAME, "hash": HASH, "hardship": HARDSHIP},
    )


def _boom_message():
    # … and an exception whose own text carries it.
    raise ValueError(f"bad row {NAME} {PHONE} {HASH} {HARDSHIP}")


def test_unhandled_errors_log_no_personal_data(app_factory, caplog):
    app = app_factory()
    app.add_url_rule("/boom-sql", view_func=_boom)
    app.add_url_rule("/boom-text", view_func=_boom_message)
    caplog.set_level(logging.DEBUG)
    client = app.test_client()
    for path in ("/boom-sql", "/boom-text"):
        resp = client.get(path)
        assert resp.status_code == 500
        for secret in (PHONE, NAME, HASH, HARDSHIP):
            assert secret not in resp.get_data(as_text=True)
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert "unhandled error in GET /boom-sql" in logged  # the error is still logged …
    assert "_boom" in logged  # … with its frames
    for secret in (PHONE, NAME, HASH, HARDSHIP):
        assert secret not in logged, secret


def test_the_engine_hides_parameters(app):
    from volunteer.extensions import db

    assert db.engine.hide_parameters is True


def test_failed_jobs_log_no_personal_data(app, caplog):
    from volunteer.jobs import enqueue

    caplog.set_level(logging.DEBUG)
    job = enqueue("sample", _boom_message)
    assert job.status == "failed"
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert "failed" in logged
    for secret in (PHONE, NAME, HASH, HARDSHIP):
        assert secret not in logged and secret not in (job.error or "")
