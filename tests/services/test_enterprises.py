"""Enterprises, sites and their staff: validation, uniqueness, scope, capacity in use."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD, valid_credit_code
from volunteer.agreements import queries
from volunteer.agreements.rules import occupied_span, peak_occupancy
from volunteer.audit import AuditEntry
from volunteer.enterprises import services
from volunteer.errors import Conflict, Forbidden, NotFound, ValidationError
from volunteer.extensions import db


def _create(actor, **over):
    values = {
        "name": "西安新城爱心物流有限公司",
        "credit_code": valid_credit_code(777),
        "union_code": "XA",
        "city": "西安",
        "industry": "物流",
        "capacity": 5,
        "contact_name": "赵经理",
        "contact_phone": "13912345678",
    }
    values.update(over)
    return services.create_enterprise(actor, **values)


def test_create_enterprise_normalises_and_audits(world):
    code = valid_credit_code(778)
    ent = _create(
        world.xa_staff, credit_code=" " + code.lower() + " ", contact_phone="+86 139-1234-5678"
    )
    assert ent.credit_code == code
    assert ent.contact_phone == "13912345678"
    assert ent.union_code == "XA" and ent.capacity == 5
    entry = db.session.scalars(
        select(AuditEntry).where(
            AuditEntry.entity == "enterprise", AuditEntry.entity_id == str(ent.id)
        )
    ).one()
    assert entry.action == "created" and entry.union_path == "/SX/XA/"
    assert entry.after["credit_code"] == code


@pytest.mark.parametrize(
    "over,field",
    [
        ({"credit_code": "91610000123456789X"}, "credit_code"),
        ({"credit_code": "9161000012345"}, "credit_code"),
        ({"credit_code": ""}, "credit_code"),
        ({"contact_phone": "2345678901"}, "contact_phone"),
        ({"contact_phone": "1391234567"}, "contact_phone"),
        ({"name": "   "}, "name"),
        ({"name": "字" * 101}, "name"),
        ({"capacity": -1}, "capacity"),
        ({"capacity": True}, "capacity"),
        ({"city": "城" * 51}, "city"),
    ],
)
def test_create_enterprise_rejects_bad_fields(world, over, field):
    with pytest.raises(ValidationError) as err:
        _create(world.xa_staff, **over)
    assert field in err.value.fields


def test_duplicate_credit_code_is_409(world):
    with pytest.raises(Conflict) as err:
        _create(world.tc_staff, union_code="TC", credit_code=world.ent_xa.credit_code)
    assert err.value.code == "duplicate"


def test_create_enterprise_scope(world):
    with pytest.raises(NotFound):
        _create(world.tc_staff, union_code="XA")
    with pytest.raises(Forbidden):
        _create(world.ent_xa_staff)
    # the province's staff may register under any city
    assert _create(world.sx_staff).union_code == "XA"


def test_update_enterprise_and_duplicate(world):
    ent = services.update_enterprise(
        world.xa_staff, world.ent_xa.id, {"city": "西安市", "capacity": 20}
    )
    assert ent.city == "西安市" and ent.capacity == 20
    with pytest.raises(Conflict):
        services.update_enterprise(
            world.xa_staff, world.ent_xa.id, {"credit_code": world.ent_tc.credit_code}
        )
    with pytest.raises(NotFound):
        services.update_enterprise(world.tc_staff, world.ent_xa.id, {"city": "铜川"})
    with pytest.raises(Forbidden):
        services.update_enterprise(world.ent_xa_staff, world.ent_xa.id, {"city": "铜川"})


def test_capacity_cannot_drop_below_booked(world, frozen, make_student, make_agreement):
    frozen("2026-11-28 09:00")
    other = make_student("XA")
    make_agreement(other, world.ent_xa, "2027-01-01", "2027-03-31", signed=False)
    with pytest.raises(Conflict) as err:
        services.update_enterprise(world.xa_staff, world.ent_xa.id, {"capacity": 1})
    assert err.value.code == "capacity_full"
    assert (
        services.update_enterprise(world.xa_staff, world.ent_xa.id, {"capacity": 2}).capacity == 2
    )


def test_add_site_with_location_and_secret(world):
    site = services.add_site(
        world.xa_staff,
        world.ent_xa.id,
        name="钟楼服务点",
        latitude=34.26,
        longitude=108.94,
        radius_m=300,
    )
    assert (site.latitude, site.longitude, site.radius_m, site.is_active) == (
        34.26,
        108.94,
        300,
        True,
    )
    assert len(site.secret) >= 32
    assert "secret" not in site.to_dict()
    other = services.add_site(world.ent_xa_staff, world.ent_xa.id, name="二号点")
    assert other.secret != site.secret and other.latitude is None and other.radius_m is None
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.entity == "site")).first()
    assert "secret" not in (entry.after or {})


def test_site_radius_defaults_with_coordinates(world):
    site = services.add_site(world.xa_staff, world.ent_xa.id, name="点", latitude=34, longitude=108)
    assert site.radius_m == 200


@pytest.mark.parametrize(
    "loc,field",
    [
        ({"latitude": 90.5, "longitude": 108}, "latitude"),
        ({"latitude": -91, "longitude": 108}, "latitude"),
        ({"latitude": 34, "longitude": 180.01}, "longitude"),
        ({"latitude": 34, "longitude": -181}, "longitude"),
        ({"latitude": 34}, "longitude"),
        ({"longitude": 108}, "latitude"),
        ({"latitude": 34, "longitude": 108, "radius_m": 9}, "radius_m"),
        ({"latitude": 34, "longitude": 108, "radius_m": 5001}, "radius_m"),
        ({"radius_m": 100}, "radius_m"),
        ({"latitude": float("nan"), "longitude": 108}, "latitude"),
        ({"latitude": "34", "longitude": 108}, "latitude"),
    ],
)
def test_site_location_validation(world, loc, field):
    with pytest.raises(ValidationError) as err:
        services.add_site(world.xa_staff, world.ent_xa.id, name="点", **loc)
    assert field in err.value.fields


def test_site_edges_accepted(world):
    site = services.add_site(
        world.xa_staff, world.ent_xa.id, name="点", latitude=-90, longitude=180, radius_m=5000
    )
    assert site.radius_m == 5000
    site = services.add_site(
        world.xa_staff, world.ent_xa.id, name="点2", latitude=90, longitude=-180, radius_m=10
    )
    assert site.radius_m == 10


def test_site_scope(world):
    with pytest.raises(NotFound):
        services.add_site(world.tc_staff, world.ent_xa.id, name="越权")
    with pytest.raises(NotFound):
        services.add_site(world.ent_tc_staff, world.ent_xa.id, name="越权")
    with pytest.raises(NotFound):
        services.update_site(world.tc_staff, world.site_xa.id, {"is_active": False})


def test_update_and_deactivate_site(world):
    site = services.update_site(
        world.ent_xa_staff,
        world.site_xa.id,
        {"latitude": 34.2, "longitude": 108.9, "radius_m": 150},
    )
    assert site.radius_m == 150
    site = services.update_site(world.xa_staff, site.id, {"latitude": None, "longitude": None})
    assert (site.latitude, site.longitude, site.radius_m) == (None, None, None)
    site = services.update_site(world.xa_staff, site.id, {"is_active": False})
    assert site.is_active is False
    actions = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.entity == "site").order_by(AuditEntry.id)
    ).all()
    assert actions == ["updated", "updated", "deactivated"]
    with pytest.raises(ValidationError):
        services.update_site(world.xa_staff, site.id, {"name": ""})


def test_create_enterprise_staff(world):
    user = services.create_enterprise_staff(
        world.xa_staff, world.ent_xa.id, "ent_new", PASSWORD, "钱主管"
    )
    assert user.role == "enterprise_staff" and user.enterprise_id == world.ent_xa.id
    assert user.must_change_password is True
    with pytest.raises(Conflict):
        services.create_enterprise_staff(
            world.xa_staff, world.ent_xa.id, "ent_new", PASSWORD, "重复"
        )
    with pytest.raises(NotFound):
        services.create_enterprise_staff(world.tc_staff, world.ent_xa.id, "x_tc", PASSWORD, "越权")
    with pytest.raises(Forbidden):
        services.create_enterprise_staff(
            world.ent_xa_staff, world.ent_xa.id, "x_e", PASSWORD, "自建"
        )
    assert [u.username for u in services.list_staff(world.ent_xa.id)] == ["ent_new", "ent_xa"]


def test_list_enterprises_search_and_scope(world, make_enterprise):
    make_enterprise("TC", "铜川爱心物流有限公司", city="铜川", industry="物流")

    def names(actor, **kw):
        return [e.name for e in db.session.scalars(services.list_enterprises(actor, **kw))]

    assert len(names(world.tc_staff)) == 3
    assert names(world.tc_staff, q="物流") == ["铜川爱心物流有限公司"]
    assert names(world.xa_staff, city="西安") == ["西安爱心科技有限公司"]
    assert names(world.xa_staff, q=world.ent_tc.credit_code.lower()) == [world.ent_tc.name]
    assert names(world.xa_staff, q="100%_") == []
    assert names(world.ent_tc_staff) == [world.ent_tc.name]


def test_capacity_in_use(world, frozen, make_student, make_agreement):
    frozen("2026-11-28 09:00")
    s2, s3 = make_student("XA"), make_student("XA")
    make_agreement(s2, world.ent_xa, "2026-11-01", "2026-11-28")
    make_agreement(s3, world.ent_xa, "2027-01-01", "2027-02-28", signed=False)
    use = services.capacity_in_use(world.ent_xa)
    assert use.capacity == 10 and use.in_use_today == 2  # agr_xa and s2
    assert use.peak == 2  # agr_xa with s3 in January; s2 ends today
    assert use.remaining == 8
    assert services.in_use_today([world.ent_xa.id, world.ent_tc.id]) == {
        world.ent_xa.id: 2,
        world.ent_tc.id: 1,
    }


def test_students_under_agreement_hide_identity(world, frozen):
    frozen("2026-11-28 09:00")
    rows = services.students_under_agreement(world.ent_xa.id)
    assert [(r[0], r[1], r[2]) for r in rows] == [
        (world.stu_xa.name, "西北大学", world.stu_xa.phone)
    ]
    assert all(len(r) == 4 for r in rows)


def test_peak_query_matches_the_rule(world, make_student):
    """The grouped SQL peak equals rules.peak_occupancy on random agreements."""
    from volunteer.agreements.models import Agreement

    rng = random.Random(7)
    students = [make_student("XA") for _ in range(6)]
    ents = [world.ent_xa, world.ent_tc]
    base = date(2026, 1, 1)
    for _ in range(40):
        start = base + timedelta(days=rng.randrange(0, 60))
        end = start + timedelta(days=rng.randrange(0, 20))
        term = start + timedelta(days=rng.randrange(-2, 25)) if rng.random() < 0.3 else None
        db.session.add(
            Agreement(
                student_id=rng.choice(students).id,
                enterprise_id=rng.choice(ents).id,
                kind="volunteer",
                starts_on=start,
                ends_on=end,
                terminated_on=term,
                monthly_hours=24,
                allow_workdays=False,
                created_at=world.agr_xa.created_at,
            )
        )
    db.session.commit()
    all_rows = db.session.scalars(select(Agreement)).all()
    for _ in range(15):
        lo = base + timedelta(days=rng.randrange(-5, 70))
        hi = lo + timedelta(days=rng.randrange(0, 30))
        got = queries.peak_in_use(lo, hi)
        for ent in ents:
            spans = []
            for a in all_rows:
                span = occupied_span(a.starts_on, a.ends_on, a.terminated_on)
                if a.enterprise_id == ent.id and span:
                    spans.append((*span, a.student_id))
            assert got.get(ent.id, 0) == peak_occupancy(spans, lo, hi), (lo, hi, ent.id)
