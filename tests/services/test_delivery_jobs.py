"""Deliveries as background jobs (R36): a request that queued an SMS starts a job on the
real queue (RQ on this machine's Redis) and answers without waiting for the provider."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from volunteer.extensions import db
from volunteer.jobs.models import Job

from .compliance_support import add_minutes_fixture  # noqa: F401
from .delivery_support import (  # noqa: F401
    delivering_fixture,
    sms_gateway_fixture,
    smtp_server_fixture,
)
from .test_jobs_queue import REDIS_URL, _redis_up, _work

pytestmark = pytest.mark.skipif(not _redis_up(), reason="needs Redis on 127.0.0.1:6379")


def _decline(world, api, add_minutes):
    from volunteer.checkin import corrections

    s = add_minutes(world.stu_xa, world.agr_xa, "2026-11-07", 120, status="pending")
    c = corrections.request_correction(
        world.stu_xa_user, s.id, None, s.check_out_at + timedelta(minutes=30), "忘记签退"
    )
    return api(world.ent_xa_staff).post(f"/corrections/{c.id}/decline", json={"note": "不符"})


def test_a_request_that_queued_an_sms_starts_a_delivery_job(
    world, delivering, sms_gateway, frozen, api, add_minutes
):
    frozen("2026-11-07 18:00")
    delivering.config.update(JOB_QUEUE_URL=REDIS_URL, JOB_QUEUE_NAME=f"test-{uuid.uuid4().hex[:8]}")
    resp = _decline(world, api, add_minutes)
    assert resp.status_code == 200, resp.get_json()
    [job] = db.session.scalars(select(Job).where(Job.kind == "deliver_notifications")).all()
    assert job.status == "queued"
    assert sms_gateway.received == []  # the request did not wait for the provider
    _work(delivering)
    db.session.expire_all()
    done = db.session.get(Job, job.id)
    assert done.status == "done", done.error
    assert done.result["sent"] == 1
    [sms] = sms_gateway.received
    assert sms["phone"] == world.stu_xa.phone


def test_without_a_queue_the_request_starts_no_job(
    world, delivering, sms_gateway, frozen, api, add_minutes
):
    frozen("2026-11-07 18:00")
    delivering.config["JOB_QUEUE_URL"] = ""
    assert _decline(world, api, add_minutes).status_code == 200
    assert db.session.scalars(select(Job)).all() == []
    assert sms_gateway.received == []  # left to the cron command
