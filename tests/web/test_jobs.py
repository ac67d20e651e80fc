"""Background jobs (R36): inline without a queue, owner-only reads, the job page."""

from __future__ import annotations

from volunteer.errors import ValidationError
from volunteer.jobs import enqueue, report_progress


def add_numbers(a: int, b: int, *, times: int = 1) -> dict:
    report_progress(0.5)
    return {"sum": (a + b) * times, "link": "/students", "message": "好了"}


def refuse(code: str) -> None:
    raise ValidationError("不行", code=code)


def explode() -> None:
    raise RuntimeError("secret details 13800000000")


def test_enqueue_runs_inline_without_a_queue(app, make_union, make_user):
    make_union("SX")
    owner = make_user("union_staff", union_code="SX")
    job = enqueue("sample", add_numbers, 2, 3, owner=owner, times=2)
    assert job.status == "done"
    assert job.progress == 1.0
    assert job.result["sum"] == 10
    assert job.owner_id == owner.id


def test_failed_jobs_keep_the_code_and_hide_unexpected_details(app, make_union, make_user, caplog):
    make_union("SX")
    owner = make_user("union_staff", union_code="SX")
    refused = enqueue("sample", refuse, "import_invalid", owner=owner)
    assert refused.status == "failed"
    assert refused.result["code"] == "import_invalid"
    crashed = enqueue("sample", explode, owner=owner)
    assert crashed.status == "failed"
    assert "13800000000" not in crashed.error
    assert "sample" not in crashed.error


def test_job_api_answers_the_owner_only(app, api, make_union, make_user):
    make_union("SX")
    owner = make_user("union_staff", union_code="SX")
    other = make_user("union_staff", union_code="SX")
    job = enqueue("sample", add_numbers, 1, 1, owner=owner)
    resp = api(owner).get(f"/jobs/{job.id}")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body == {
        "id": job.id,
        "kind": "sample",
        "status": "done",
        "progress": 1.0,
        "result": {"sum": 2, "link": "/students", "message": "好了"},
        "error": None,
    }
    assert api(other).get(f"/jobs/{job.id}").status_code == 404
    assert api(owner).get("/jobs/nonexistent").status_code == 404
    assert api(None).get(f"/jobs/{job.id}").status_code == 401


def test_job_page_shows_the_result_and_polls_while_running(
    app, client, login, make_union, make_user
):
    from volunteer.extensions import db

    make_union("SX")
    owner = make_user("union_staff", union_code="SX")
    job = enqueue("sample", add_numbers, 1, 1, owner=owner)
    login(owner)
    page = client.get(f"/jobs/{job.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "已完成" in html and 'href="/students"' in html
    job.status, job.progress = "running", 0.4
    db.session.commit()
    html = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert 'value="0.4"' in html and "jobs.js" in html
    status = client.get(f"/jobs/{job.id}/status").get_json()
    assert status["status"] == "running" and status["progress"] == 0.4
    other = make_user("union_staff", union_code="SX")
    client.post("/logout")
    login(other)
    assert client.get(f"/jobs/{job.id}").status_code == 404
    assert client.get(f"/jobs/{job.id}/status").status_code == 404
