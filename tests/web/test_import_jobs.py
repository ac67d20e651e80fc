"""Issue 13 item 8 and R36: a class list too large for one request is a background job
when a queue is configured, and refused up front (400, with what fits) when it is not."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from tests.student_data import csv_file, import_row
from volunteer.extensions import db
from volunteer.students.models import Student


def _students() -> int:
    return db.session.scalar(select(func.count()).select_from(Student))


def _rows(n: int) -> list[dict]:
    return [import_row(i, password=f"Initial-{i:04d}") for i in range(1, n + 1)]


def _upload(api_client, rows):
    return api_client.post(
        "/students/import",
        data={"file": (io.BytesIO(csv_file(rows)), "名单.csv")},
        content_type="multipart/form-data",
    )


@pytest.fixture
def limits(app):
    app.config["IMPORT_SYNC_HASHES"] = 5
    app.config["IMPORT_SYNC_ROWS"] = 20


@pytest.fixture
def fake_queue(monkeypatch, app):
    """A queue whose worker takes each job at once (the real one: tests/services)."""
    from volunteer.jobs import services as jobs

    class Queue:
        def enqueue(self, func, *args, job_id, **kw):
            func(*args)

    app.config["JOB_QUEUE_URL"] = "redis://queue.invalid/0"
    monkeypatch.setattr(jobs, "_queue", lambda: Queue())


def test_small_files_are_imported_in_the_request(world, api, limits):
    resp = _upload(api(world.xa_staff), _rows(5))
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json() == {"created": 5}


def test_without_a_queue_a_large_file_is_refused_up_front(world, api, limits):
    before = _students()
    resp = _upload(api(world.xa_staff), _rows(8))
    assert resp.status_code == 400
    body = resp.get_json()
    assert body["error"]["code"] == "import_too_large"
    assert body["max_rows"] == 5
    assert "共 8 行" in body["error"]["message"] and "最多导入 5 行" in body["error"]["message"]
    assert _students() == before
    # Rows sharing one initial password hash once: 8 of them fit.
    same = [import_row(i) for i in range(1, 9)]
    assert _upload(api(world.xa_staff), same).status_code == 201


def test_bad_rows_are_reported_at_once_even_for_a_large_file(world, api, limits, fake_queue):
    rows = _rows(30)
    rows[3]["id_number"] = "123"
    resp = _upload(api(world.xa_staff), rows)
    assert resp.status_code == 400
    assert resp.get_json()["error"]["code"] == "import_invalid"


def test_with_a_queue_a_large_file_becomes_a_job(world, api, limits, fake_queue):
    staff = api(world.xa_staff)
    before = _students()
    resp = _upload(staff, _rows(30))
    assert resp.status_code == 202, resp.get_json()
    job = resp.get_json()["job"]
    assert job["kind"] == "student_import" and job["status"] in ("queued", "running", "done")
    done = staff.get(f"/jobs/{job['id']}").get_json()
    assert done["status"] == "done", done
    assert done["result"]["created"] == 30 and done["progress"] == 1.0
    assert _students() == before + 30
    assert api(world.sx_staff).get(f"/jobs/{job['id']}").status_code == 404


def test_the_import_page_sends_a_large_file_to_the_job_page(
    world, client, login, limits, fake_queue
):
    login(world.xa_staff)
    resp = client.post(
        "/students/import",
        data={"file": (io.BytesIO(csv_file(_rows(25))), "名单.csv")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302 and "/jobs/" in resp.headers["Location"]
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "批量导入学生" in page and "导入成功：共登记 25 名学生" in page
    assert 'href="/students"' in page


def test_the_import_page_explains_a_file_too_large(world, client, login, limits):
    login(world.xa_staff)
    resp = client.post(
        "/students/import",
        data={"file": (io.BytesIO(csv_file(_rows(25))), "名单.csv")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 200
    assert "最多导入 5 行" in resp.get_data(as_text=True)


def test_the_estimate_uses_the_configured_hash(app):
    from volunteer.students import import_jobs

    app.config["IMPORT_SYNC_HASHES"] = 0
    app.config["IMPORT_SYNC_SECONDS"] = 4
    limit = import_jobs.sync_hash_limit()
    assert limit >= 1
    # pbkdf2 with 1000 rounds (tests) is fast; the production scrypt allows far fewer.
    app.config["PASSWORD_HASH_METHOD"] = "scrypt"
    assert import_jobs.sync_hash_limit() < limit
