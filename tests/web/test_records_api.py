"""Records (R37–R38) through the API: volunteer numbers, agreement terms and insurance,
the insurance checks of a scan, union profile and seal, evaluations, trainings and awards."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from tests.checkin_support import scan
from volunteer.audit import AuditEntry
from volunteer.extensions import db
from volunteer.records.models import Evaluation, StudentRecord
from volunteer.students.models import Student
from volunteer.unions.models import Union, UnionSeal
from volunteer.unions.seal_image import seal_png


def audits(entity: str, action: str | None = None) -> list[AuditEntry]:
    stmt = select(AuditEntry).where(AuditEntry.entity == entity)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    return list(db.session.scalars(stmt.order_by(AuditEntry.id)))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- volunteer number (R37) -------------------------------------------------------------


def test_patch_student_sets_volunteer_number_and_contact_fields(world, api):
    resp = api(world.xa_staff).patch(
        f"/students/{world.stu_xa.id}",
        json={"volunteer_number": "SX2026A001", "phone": "13900001111", "major": "法学"},
    )
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["volunteer_number"] == "SX2026A001"
    assert (body["phone"], body["major"], body["university"]) == ("13900001111", "法学", "西北大学")
    [entry] = audits("student", "updated")
    assert entry.after["volunteer_number"] == "SX2026A001"
    assert entry.before["volunteer_number"] is None


@pytest.mark.parametrize("bad", ["SX-2026", "志愿123", "A" * 33, "12 34", 1234])
def test_volunteer_number_with_other_than_letters_digits_is_refused(world, api, bad):
    resp = api(world.xa_staff).patch(f"/students/{world.stu_xa.id}", json={"volunteer_number": bad})
    assert resp.status_code == 400, resp.get_json()
    assert "volunteer_number" in resp.get_json()["error"]["fields"]
    db.session.expire_all()
    assert db.session.get(Student, world.stu_xa.id).volunteer_number is None
    assert audits("student", "updated") == []


def test_patch_student_scope_and_roles(world, api):
    assert api(world.tc_staff).patch(f"/students/{world.stu_xa.id}", json={}).status_code == 404
    resp = api(world.ent_xa_staff).patch(f"/students/{world.stu_xa.id}", json={})
    assert resp.status_code == 403
    resp = api(world.stu_xa_user).patch(f"/students/{world.stu_xa.id}", json={})
    assert resp.status_code == 403


def test_create_student_with_volunteer_number(world, api):
    from tests.conftest import valid_id_number

    body = {
        "name": "赵志愿",
        "id_number": valid_id_number(901),
        "phone": "13700001111",
        "university": "长安大学",
        "union_code": "XA",
        "username": "zhao_vol",
        "password": "Welcome-2026",
        "volunteer_number": "61010320260001",
    }
    resp = api(world.xa_staff).post("/students", json=body)
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["volunteer_number"] == "61010320260001"
    bad = api(world.xa_staff).post(
        "/students", json=body | {"username": "zhao2", "volunteer_number": "61-01"}
    )
    assert bad.status_code == 400 and "volunteer_number" in bad.get_json()["error"]["fields"]


# --- agreement terms and insurance (R37) --------------------------------------------------


def test_patch_agreement_terms_by_union_and_enterprise(world, api):
    path = f"/agreements/{world.agr_xa.id}"
    resp = api(world.xa_staff).patch(
        path,
        json={
            "service_content": "社区图书整理与读书会组织",
            "safety_measures": "岗前安全培训，专人带班",
            "insurer": "中国人寿",
            "policy_number": "PICC2026-001",
            "insured_from": "2026-09-01",
            "insured_to": "2027-06-30",
        },
    )
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["service_content"] == "社区图书整理与读书会组织"
    assert (body["insured_from"], body["insured_to"]) == ("2026-09-01", "2027-06-30")
    resp = api(world.ent_xa_staff).patch(path, json={"insurer": "平安保险"})
    assert resp.status_code == 200 and resp.get_json()["insurer"] == "平安保险"
    assert resp.get_json()["policy_number"] == "PICC2026-001"  # absent fields stay
    entries = audits("agreement", "updated")
    assert len(entries) == 2 and entries[1].before == {"insurer": "中国人寿"}
    assert api(world.stu_xa_user).patch(path, json={}).status_code == 403
    assert api(world.ent_tc_staff).patch(path, json={}).status_code == 404


def test_insured_to_before_insured_from_is_refused_and_nothing_stored(world, api):
    path = f"/agreements/{world.agr_xa.id}"
    resp = api(world.xa_staff).patch(
        path, json={"insurer": "X", "insured_from": "2026-10-01", "insured_to": "2026-09-30"}
    )
    assert resp.status_code == 400
    assert list(resp.get_json()["error"]["fields"]) == ["insured_to"]
    # Against the stored start too: only the end is sent.
    resp = api(world.xa_staff).patch(path, json={"insured_to": "2026-08-01"})
    assert resp.status_code == 400 and "insured_to" in resp.get_json()["error"]["fields"]
    db.session.expire_all()
    agreement = db.session.get(type(world.agr_xa), world.agr_xa.id)
    assert agreement.insurer is None and str(agreement.insured_to) == "2027-06-30"
    assert audits("agreement", "updated") == []


def test_create_agreement_with_terms(world, api, make_student):
    student = make_student("XA", "新同学")
    resp = api(world.xa_staff).post(
        "/agreements",
        json={
            "student_id": student.id,
            "enterprise_id": world.ent_xa.id,
            "starts_on": "2026-12-01",
            "ends_on": "2027-05-31",
            "service_content": "敬老院陪伴",
            "insured_from": "2026-12-01",
            "insured_to": "2026-11-30",
        },
    )
    assert resp.status_code == 400 and "insured_to" in resp.get_json()["error"]["fields"]
    resp = api(world.xa_staff).post(
        "/agreements",
        json={
            "student_id": student.id,
            "enterprise_id": world.ent_xa.id,
            "starts_on": "2026-12-01",
            "ends_on": "2027-05-31",
            "service_content": "敬老院陪伴",
            "insured_from": "2026-12-01",
        },
    )
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["service_content"] == "敬老院陪伴"
    assert resp.get_json()["insured_to"] is None


# --- the scan's insurance checks (R37, R11 order) -------------------------------------------


def _uninsure(agreement, start=None, end=None):
    agreement.insured_from, agreement.insured_to = start, end
    db.session.commit()


def test_check_in_on_an_uninsured_day_is_flagged(world, api, frozen):
    from datetime import date

    frozen("2026-11-28 09:00")  # a Saturday
    _uninsure(world.agr_xa, date(2026, 9, 1), date(2026, 11, 27))
    resp = scan(api(world.stu_xa_user), world.site_xa)
    assert resp.status_code == 201, resp.get_json()
    assert "uninsured" in resp.get_json()["session"]["flags"]


def test_insured_check_in_has_no_flag(world, api, frozen):
    frozen("2026-11-28 09:00")
    resp = scan(api(world.stu_xa_user), world.site_xa)
    assert resp.status_code == 201 and resp.get_json()["session"]["flags"] == []


def test_union_requiring_insurance_refuses_not_insured(world, api, frozen):
    from volunteer.checkin.models import ScanAttempt, ServiceSession

    frozen("2026-11-28 09:00")
    _uninsure(world.agr_xa)
    db.session.get(Union, "XA").require_insurance = True
    db.session.commit()
    resp = scan(api(world.stu_xa_user), world.site_xa)
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "not_insured"
    assert count(ServiceSession) == 0
    attempt = db.session.scalars(select(ScanAttempt)).one()
    assert attempt.result == "not_insured"
    # Another union's requirement does not reach this student.
    db.session.get(Union, "XA").require_insurance = False
    db.session.get(Union, "TC").require_insurance = True
    db.session.commit()
    assert scan(api(world.stu_xa_user), world.site_xa).status_code == 201


def test_day_not_allowed_comes_before_not_insured(world, api, frozen):
    frozen("2026-11-25 09:00")  # a Wednesday: not an allowed day for volunteering
    _uninsure(world.agr_xa)
    db.session.get(Union, "XA").require_insurance = True
    db.session.commit()
    resp = scan(api(world.stu_xa_user), world.site_xa)
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "day_not_allowed"


def test_check_out_is_never_refused_for_insurance(world, api, frozen):
    from tests.checkin_support import later

    frozen("2026-11-28 09:00")
    stu = api(world.stu_xa_user)
    assert scan(stu, world.site_xa).status_code == 201
    _uninsure(world.agr_xa)
    db.session.get(Union, "XA").require_insurance = True
    db.session.commit()
    later(hours=2)
    assert scan(stu, world.site_xa, "check_out").status_code == 200


# --- union profile and seal (R39) -------------------------------------------------------


def test_put_union_profile(world, api):
    resp = api(world.xa_staff).put(
        "/unions/XA/profile",
        json={"leader_name": "刘主席", "contact": "029-86541234", "require_insurance": True},
    )
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert {
        k: body[k] for k in ("code", "name", "leader_name", "contact", "require_insurance")
    } == {
        "code": "XA",
        "name": "西安市总工会",
        "leader_name": "刘主席",
        "contact": "029-86541234",
        "require_insurance": True,
    }
    [entry] = audits("union", "profile_updated")
    assert entry.after["leader_name"] == "刘主席"
    assert api(world.tc_staff).put("/unions/XA/profile", json={}).status_code == 404
    assert api(world.sx_staff).put("/unions/XA/profile", json={"contact": "x"}).status_code == 200
    empty = api(world.xa_staff).put("/unions/XA/profile", json={})
    assert empty.status_code == 400 and empty.get_json()["error"]["code"] == "bad_request"
    assert api(world.ent_xa_staff).put("/unions/XA/profile", json={}).status_code == 403
    bad = api(world.xa_staff).put("/unions/XA/profile", json={"leader_name": "长" * 51})
    assert bad.status_code == 400 and "leader_name" in bad.get_json()["error"]["fields"]
    bad = api(world.xa_staff).put("/unions/XA/profile", json={"require_insurance": "yes"})
    assert bad.status_code == 400 and "require_insurance" in bad.get_json()["error"]["fields"]


def _upload(api_client, code: str, data: bytes, name: str = "seal.png"):
    return api_client.client.put(
        f"/api/v1/unions/{code}/seal",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
        headers={"Authorization": f"Bearer {api_client.token}"},
    )


def test_seal_upload_accepts_a_real_png(world, api):
    resp = _upload(api(world.xa_staff), "XA", seal_png("西安市总工会"))
    assert resp.status_code == 204, resp.get_json()
    seal = db.session.get(UnionSeal, "XA")
    assert seal.png.startswith(b"\x89PNG") and (seal.width, seal.height) == (360, 360)
    assert audits("union", "seal_uploaded")


def _png(width: int, height: int) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGBA", (width, height), (200, 0, 0, 255)).save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        b"GIF89a" + b"\x00" * 100,  # not a PNG
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 100,  # the signature, then nothing real
        _png(360, 360)[:200],  # truncated
        _png(20, 20),  # too small to be a seal
        _png(3000, 100),  # too wide
        b"\x89PNG\r\n\x1a\n" + b"\x00" * (600 * 1024),  # too large
        b"",
    ],
)
def test_seal_that_is_not_a_sane_png_is_refused(world, api, data):
    resp = _upload(api(world.xa_staff), "XA", data)
    assert resp.status_code == 400, resp.data[:200]
    assert "file" in resp.get_json()["error"]["fields"]
    assert count(UnionSeal) == 0 and audits("union", "seal_uploaded") == []


def test_seal_upload_scope(world, api):
    assert _upload(api(world.tc_staff), "XA", seal_png("X")).status_code == 404
    assert _upload(api(world.ent_xa_staff), "XA", seal_png("X")).status_code == 403


# --- evaluations (R38) ------------------------------------------------------------------


def _evaluate(client, agreement, **body):
    return client.post(f"/agreements/{agreement.id}/evaluations", json=body)


def test_enterprise_evaluates_its_student_once_a_month(world, api, frozen):
    frozen("2026-11-28 09:00")
    ent = api(world.ent_xa_staff)
    resp = _evaluate(ent, world.agr_xa, month="2026-11", rating=5, comment="认真负责")
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body == {
        "id": body["id"],
        "agreement_id": world.agr_xa.id,
        "student_id": world.stu_xa.id,
        "enterprise_id": world.ent_xa.id,
        "month": "2026-11",
        "rating": 5,
        "comment": "认真负责",
    }
    again = _evaluate(ent, world.agr_xa, month="2026-11", rating=3)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "duplicate"
    assert count(Evaluation) == 1
    assert len(audits("evaluation", "created")) == 1
    assert _evaluate(ent, world.agr_xa, month="2026-10", rating=4).status_code == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"month": "2026-11", "rating": 0}, "rating"),
        ({"month": "2026-11", "rating": 6}, "rating"),
        ({"month": "2026-11", "rating": "5"}, "rating"),
        ({"month": "2026-11", "rating": True}, "rating"),
        ({"month": "2026-11", "rating": 4.5}, "rating"),
        ({"month": "2026-13", "rating": 4}, "month"),
        ({"month": "2027-01", "rating": 4}, "month"),  # not yet begun
        ({"month": "2026-08", "rating": 4}, "month"),  # before the agreement
        ({"month": "2026-11", "rating": 4, "comment": "长" * 501}, "comment"),
    ],
)
def test_bad_evaluation_is_refused_and_nothing_stored(world, api, frozen, body, field):
    frozen("2026-11-28 09:00")
    resp = _evaluate(api(world.ent_xa_staff), world.agr_xa, **body)
    assert resp.status_code == 400, resp.get_json()
    assert field in resp.get_json()["error"]["fields"]
    assert count(Evaluation) == 0 and audits("evaluation") == []


def test_evaluation_scope(world, api, frozen):
    frozen("2026-11-28 09:00")
    body = {"month": "2026-11", "rating": 4}
    assert _evaluate(api(world.ent_tc_staff), world.agr_xa, **body).status_code == 404
    assert _evaluate(api(world.xa_staff), world.agr_xa, **body).status_code == 403
    assert _evaluate(api(world.stu_xa_user), world.agr_xa, **body).status_code == 403


def test_who_reads_evaluations(world, api, frozen, make_agreement):
    frozen("2026-11-28 09:00")
    # 王小明 also served at 铜川 in September: that enterprise's evaluation is not 西安's.
    september = make_agreement(world.stu_xa, world.ent_tc, "2026-08-01", "2026-08-31")
    assert (
        _evaluate(api(world.ent_xa_staff), world.agr_xa, month="2026-11", rating=5).status_code
        == 201
    )
    assert (
        _evaluate(api(world.ent_tc_staff), september, month="2026-08", rating=3).status_code == 201
    )
    path = f"/students/{world.stu_xa.id}/evaluations"
    months = lambda who: [e["month"] for e in api(who).get(path).get_json()["items"]]  # noqa: E731
    assert months(world.xa_staff) == ["2026-11", "2026-08"]
    assert months(world.stu_xa_user) == ["2026-11", "2026-08"]
    assert months(world.ent_xa_staff) == ["2026-11"]
    assert months(world.ent_tc_staff) == ["2026-08"]
    assert api(world.tc_staff).get(path).status_code == 404
    assert api(world.stu_tc_user).get(path).status_code == 404


# --- trainings and awards (R38) -----------------------------------------------------------


def test_union_records_training_and_award(world, api, frozen):
    frozen("2026-11-28 09:00")
    path = f"/students/{world.stu_xa.id}/records"
    staff = api(world.xa_staff)
    resp = staff.post(
        path,
        json={
            "kind": "training",
            "title": "志愿服务通用培训",
            "on": "2026-09-20",
            "hours": 2.5,
            "issuer": "西安市总工会",
        },
    )
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert (body["kind"], body["on"], body["hours"], body["issuer"]) == (
        "training",
        "2026-09-20",
        2.5,
        "西安市总工会",
    )
    assert (
        staff.post(
            path, json={"kind": "award", "title": "优秀志愿者", "on": "2026-11-01"}
        ).status_code
        == 201
    )
    items = api(world.stu_xa_user).get(path).get_json()["items"]
    assert [i["title"] for i in items] == ["优秀志愿者", "志愿服务通用培训"]
    assert len(audits("record", "created")) == 2
    assert api(world.ent_xa_staff).get(path).status_code == 403
    assert api(world.tc_staff).get(path).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "medal", "title": "X", "on": "2026-09-01"}, "kind"),
        ({"kind": "award", "title": "", "on": "2026-09-01"}, "title"),
        ({"kind": "award", "title": "X", "on": "2026-12-30"}, "on"),
        ({"kind": "training", "title": "X", "on": "2026-09-01", "hours": -1}, "hours"),
        ({"kind": "training", "title": "X", "on": "2026-09-01", "hours": 5000}, "hours"),
        ({"kind": "training", "title": "X", "on": "09/01/2026"}, "on"),
    ],
)
def test_bad_records_are_refused(world, api, frozen, body, field):
    frozen("2026-11-28 09:00")
    resp = api(world.xa_staff).post(f"/students/{world.stu_xa.id}/records", json=body)
    assert resp.status_code == 400, resp.get_json()
    assert field in resp.get_json()["error"]["fields"]
    assert count(StudentRecord) == 0


def test_one_patch_for_terms_and_end_date(world, api):
    path = f"/agreements/{world.agr_xa.id}"
    # The enterprise edits terms, never the end date.
    resp = api(world.ent_xa_staff).patch(path, json={"ends_on": "2027-05-31", "insurer": "X"})
    assert resp.status_code == 403
    # A bad term refuses the whole PATCH: the end date does not move either.
    resp = api(world.xa_staff).patch(
        path,
        json={"ends_on": "2027-05-31", "insured_from": "2027-01-01", "insured_to": "2026-01-01"},
    )
    assert resp.status_code == 400 and "insured_to" in resp.get_json()["error"]["fields"]
    db.session.expire_all()
    agreement = db.session.get(type(world.agr_xa), world.agr_xa.id)
    assert str(agreement.ends_on) == "2027-06-30" and agreement.insurer is None
    resp = api(world.xa_staff).patch(path, json={"ends_on": "2027-05-31", "insurer": "中国人寿"})
    assert resp.status_code == 200, resp.get_json()
    assert (resp.get_json()["ends_on"], resp.get_json()["insurer"]) == ("2027-05-31", "中国人寿")
    actions = [e.action for e in audits("agreement")]
    assert actions == ["ends_on_changed", "updated"]
