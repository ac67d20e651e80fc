"""R30/R32 under concurrency: racing exemptions never exceed the gross requirement, and
racing attestations make one attestation, every request answered 200."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from tests.report_support import add_session
from tests.web.test_agreements_concurrency import THREADS, _post_all, server  # noqa: F401
from volunteer.compliance.models import Exemption
from volunteer.extensions import db
from volunteer.periods.models import Attestation


def test_racing_exemptions_stay_within_the_requirement(world, api, server, frozen):  # noqa: F811
    frozen("2026-11-28 09:00")
    body = {"student_id": world.stu_xa.id, "month": "2026-11", "minutes": 5 * 60, "reason": "病假"}
    results = _post_all(f"{server}/exemptions", api(world.xa_staff).token, [body] * THREADS)
    statuses = Counter(status for status, _body in results)
    # 24 h hold four exemptions of 5 h; the others are refused, none with a 5xx
    assert statuses[201] == 4, statuses
    assert set(statuses) <= {201, 400, 409}, statuses
    total = db.session.scalar(
        select(func.sum(Exemption.minutes)).where(Exemption.student_id == world.stu_xa.id)
    )
    assert total == 20 * 60


def test_racing_attestations_make_one(world, api, server, frozen):  # noqa: F811
    frozen("2026-11-01 09:00")
    add_session(world.agr_xa, world.site_xa, "2026-11-07 09:00", 600)
    frozen("2026-12-02 09:00")
    url = f"{server}/enterprises/{world.ent_xa.id}/reports/2026-11/attest"
    results = _post_all(url, api(world.ent_xa_staff).token, [{}] * THREADS)
    statuses = Counter(status for status, _body in results)
    assert set(statuses) <= {200, 409}, statuses  # 409 conflict only for a lost race
    assert statuses[200] >= 1
    assert sum(body.get("created") is True for status, body in results if status == 200) == 1
    assert db.session.scalar(select(func.count()).select_from(Attestation)) == 1
