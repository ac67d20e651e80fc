"""The shared `world` fixture builds, and scope filters see what SPEC §3 says."""

from __future__ import annotations

from volunteer.auth import scope
from volunteer.extensions import db


def test_world_scope(world):
    def ids(actor, stmt_fn):
        return {o.id for o in db.session.scalars(stmt_fn(actor))}

    assert ids(world.sx_staff, scope.students) == {world.stu_xa.id, world.stu_tc.id}
    assert ids(world.xa_staff, scope.students) == {world.stu_xa.id}
    assert ids(world.tc_staff, scope.students) == {world.stu_tc.id}
    assert ids(world.ent_xa_staff, scope.students) == {world.stu_xa.id}
    assert ids(world.stu_tc_user, scope.students) == {world.stu_tc.id}
    # every union officer reads every enterprise profile; manages only its own subtree's
    assert ids(world.tc_staff, scope.enterprises) == {world.ent_xa.id, world.ent_tc.id}
    assert ids(world.tc_staff, scope.managed_enterprises) == {world.ent_tc.id}
    assert ids(world.ent_tc_staff, scope.enterprises) == {world.ent_tc.id}
    assert ids(world.xa_staff, scope.agreements) == {world.agr_xa.id}
    assert ids(world.stu_xa_user, scope.agreements) == {world.agr_xa.id}


def test_cross_city_agreement_visible_to_both_unions(world, make_agreement):
    cross = make_agreement(world.stu_tc, world.ent_xa, "2027-07-01", "2027-08-31")
    xa_ids = {a.id for a in db.session.scalars(scope.agreements(world.xa_staff))}
    tc_ids = {a.id for a in db.session.scalars(scope.agreements(world.tc_staff))}
    assert cross.id in xa_ids and cross.id in tc_ids
