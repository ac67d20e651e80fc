"""R36: a province-wide dashboard list is built by a worker when a queue is configured;
its page then offers the file, to its owner only."""

from __future__ import annotations

from io import BytesIO

import pytest
from openpyxl import load_workbook

from tests.web.test_import_jobs import fake_queue as fake_queue  # noqa: F401


@pytest.fixture
def small_sync(app):
    app.config["EXPORT_SYNC_STUDENTS"] = 1  # the world's province has two students


def test_without_a_queue_the_list_downloads_at_once(world, login, small_sync, frozen):
    frozen("2026-11-16 10:00")
    resp = login(world.sx_staff).get("/compliance/export.xlsx?list=students&month=2026-11")
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")


def test_a_province_wide_list_becomes_a_job_with_a_file(  # noqa: F811
    world, client, login, api, small_sync, fake_queue, frozen
):
    frozen("2026-11-16 10:00")
    login(world.sx_staff)
    resp = client.get("/compliance/export.xlsx?list=students&month=2026-11")
    assert resp.status_code == 302 and "/jobs/" in resp.headers["Location"]
    job_id = resp.headers["Location"].rstrip("/").split("/")[-1]
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "导出名单" in page and f"/jobs/{job_id}/file" in page
    download = client.get(f"/jobs/{job_id}/file")
    assert download.status_code == 200
    assert "compliance-2026-11-students.xlsx" in download.headers["Content-Disposition"]
    sheet = load_workbook(BytesIO(download.data)).active
    names = {sheet.cell(row=r, column=1).value for r in range(3, sheet.max_row + 1)}
    assert names == {"王小明", "李小红"}
    body = api(world.sx_staff).get(f"/jobs/{job_id}").get_json()
    assert body["status"] == "done" and body["result"]["file_name"].endswith(".xlsx")
    assert api(world.sx_staff).get(f"/jobs/{job_id}/file").status_code == 200
    assert api(world.xa_staff).get(f"/jobs/{job_id}/file").status_code == 404
    # A city officer's own list stays within the request.
    assert api(world.xa_staff).get(f"/jobs/{job_id}").status_code == 404
