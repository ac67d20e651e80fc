"""The compliance read model (student_month_figures): kept current by every writer, and
equal to a recomputation from the raw rows after any sequence of changes."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import count

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from volunteer import clock
from volunteer.agreements import changes
from volunteer.agreements import services as agreements
from volunteer.agreements.models import Agreement
from volunteer.auth.models import User
from volunteer.calendar import services as calendar
from volunteer.checkin import decisions, scanning
from volunteer.checkin.models import ServiceSession
from volunteer.compliance import readmodel_verify, services
from volunteer.compliance.models import Exemption
from volunteer.compliance.models import StudentMonthFigure as F
from volunteer.errors import DomainError
from volunteer.extensions import db
from volunteer.students import services as students

from ..checkin_support import code
from .compliance_support import add_minutes_fixture  # noqa: F401

OCT, NOV, DEC = "2026-10", "2026-11", "2026-12"
MONTHS = [OCT, NOV, DEC]


def figures(student, month=NOV):
    # Written with Core statements: read past the session's identity map.
    stmt = select(F).where(F.student_id == student.id, F.month == month)
    return db.session.scalars(stmt.execution_options(populate_existing=True)).one_or_none()


def no_differences(today: date | None = None) -> None:
    differences = readmodel_verify.verify(MONTHS, today)
    assert differences == [], [str(d) for d in differences[:10]]


def scan(world, action, tc=False):
    user, site = (world.stu_tc_user, world.site_tc) if tc else (world.stu_xa_user, world.site_xa)
    return scanning.record_scan(user, code(site), action, nonce=None)


def test_agreement_creates_rows_for_its_months(world, frozen):
    frozen("2026-11-21 09:00")
    row = figures(world.stu_xa)
    assert (row.gross_minutes, row.required_minutes, row.confirmed_minutes) == (1440, 1440, 0)
    assert row.union_path == "/SX/XA/" and row.enterprise_ids == str(world.ent_xa.id)
    assert len(row.days_left) == 60 and row.days_left[:2] == "09"  # nine rest days
    no_differences()


def test_scan_check_out_adds_pending_minutes_with_one_upsert(world, frozen):
    frozen("2026-11-21 09:00")  # a Saturday
    scan(world, "check_in")
    assert figures(world.stu_xa).pending_minutes == 0
    clock.advance(timedelta(hours=3))
    scan(world, "check_out")
    row = figures(world.stu_xa)
    assert (row.pending_minutes, row.confirmed_minutes) == (180, 0)
    no_differences()
    session_id = db.session.scalar(select(ServiceSession.id))
    decisions.confirm_session(world.ent_xa_staff, session_id)
    row = figures(world.stu_xa)
    assert (row.pending_minutes, row.confirmed_minutes) == (0, 180)
    no_differences()


def test_exemption_calendar_and_termination_are_followed(world, frozen):
    frozen("2026-11-21 09:00")
    services.create_exemption(world.xa_staff, world.stu_xa.id, NOV, "考试周", 600)
    assert figures(world.stu_xa).exempt_minutes == 600
    calendar.set_override(world.sx_staff, "2026-11-28", "work", "调休", "调休上班")
    no_differences()
    changes.terminate_agreement(world.xa_staff, world.agr_xa.id, "学生退出", date(2026, 11, 25))
    assert figures(world.stu_xa, DEC) is None  # nothing left in December
    no_differences()


def test_close_and_reopen_rewrite_the_subtree(world, frozen, add_minutes):
    frozen("2026-11-21 09:00")
    add_minutes(world.stu_xa, world.agr_xa, "2026-10-10", 600, status="pending")
    services.close_month(world.sx_staff, "SX", OCT)
    row = figures(world.stu_xa, OCT)
    assert row.closed and row.pending_minutes == 600
    no_differences()
    services.reopen_month(world.sx_staff, "SX", OCT, "数据有误")
    assert not figures(world.stu_xa, OCT).closed
    no_differences()


def test_student_moving_union_moves_the_rows(world, frozen):
    frozen("2026-11-21 09:00")
    students.update_student(world.sx_staff, world.stu_xa.id, union_code="TC")
    assert figures(world.stu_xa).union_path == "/SX/TC/"
    no_differences()


def test_verify_reports_a_tampered_row_and_backfill_repairs_it(app, world, frozen):
    frozen("2026-11-21 09:00")
    db.session.execute(
        update(F).where(F.student_id == world.stu_tc.id).values(confirmed_minutes=60)
    )
    db.session.commit()
    found = readmodel_verify.verify([NOV])
    assert [(d.student_id, d.field) for d in found] == [(world.stu_tc.id, "confirmed_minutes")]
    runner = app.test_cli_runner()
    result = runner.invoke(args=["verify-figures", "--month", NOV])
    assert result.exit_code == 1 and "confirmed_minutes table=60 computed=0" in result.output
    db.session.execute(F.__table__.delete())
    db.session.commit()
    result = runner.invoke(args=["backfill-figures"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["verify-figures"])
    assert result.exit_code == 0 and "0 difference(s)" in result.output
    assert runner.invoke(args=["verify-figures", "--month", "2026-13"]).exit_code == 2


def test_status_at_risk_follows_today_without_a_write(world, frozen):
    frozen("2026-11-02 09:00")
    # 24 h owed: on the 2nd the rest days ahead carry it; by the 28th they cannot.
    no_differences(date(2026, 11, 2))
    no_differences(date(2026, 11, 28))
    no_differences(date(2026, 12, 5))
    no_differences(date(2026, 10, 1))


# --- property: any sequence of changes leaves the table equal to a recomputation ----

OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("scan"), st.integers(30, 600)),
        st.tuples(st.just("confirm"), st.integers(0, 5)),
        st.tuples(st.just("adjust"), st.integers(0, 5), st.integers(30, 300)),
        st.tuples(st.just("manual"), st.integers(1, 30), st.integers(60, 480)),
        st.tuples(st.just("exempt"), st.sampled_from(MONTHS), st.sampled_from([None, 300, 2000])),
        st.tuples(st.just("revoke"), st.integers(0, 3)),
        st.tuples(st.just("terminate"), st.integers(0, 40)),
        st.tuples(st.just("agreement"), st.integers(0, 60)),
        st.tuples(st.just("end"), st.integers(40, 120)),
        st.tuples(st.just("override"), st.integers(0, 60), st.sampled_from(["rest", "work"])),
        st.tuples(st.just("unoverride"), st.integers(0, 60)),
        st.tuples(st.just("close"), st.sampled_from(["SX", "XA"])),
        st.tuples(st.just("reopen"), st.sampled_from(["SX", "XA"])),
    ),
    min_size=1,
    max_size=6,
)
START = date(2026, 10, 1)
_EXAMPLES = count()
TZ_NOW = "2026-11-21 09:00"


def _staff_of(world, s: ServiceSession):
    return world.ent_xa_staff if s.enterprise_id == world.ent_xa.id else world.ent_tc_staff


def _apply(world, op) -> None:
    kind, *args = op
    pending = db.session.scalars(
        select(ServiceSession.id)
        .where(ServiceSession.status.in_(("pending", "confirmed")))
        .order_by(ServiceSession.id)
    ).all()
    if kind == "scan":
        # The other student: this one's agreements get terminated and replaced.
        scan(world, "check_in", tc=True)
        clock.advance(timedelta(minutes=args[0]))
        scan(world, "check_out", tc=True)
    elif kind == "confirm" and pending:
        s = db.session.get(ServiceSession, pending[args[0] % len(pending)])
        decisions.confirm_session(_staff_of(world, s), s.id)
    elif kind == "adjust" and pending:
        s = db.session.get(ServiceSession, pending[args[0] % len(pending)])
        out = s.check_in_at + timedelta(minutes=args[1])
        decisions.adjust_session(_staff_of(world, s), s.id, s.check_in_at, out, "实际时间")
    elif kind == "manual":
        day = datetime(2026, 10, 1, 8, tzinfo=clock.business_tz()) + timedelta(days=args[0])
        out = day + timedelta(minutes=args[1])
        decisions.enter_session(
            world.ent_xa_staff, world.stu_xa.id, world.site_xa.id, day, out, "补录"
        )
    elif kind == "exempt":
        services.create_exemption(world.sx_staff, world.stu_xa.id, args[0], "考试", args[1])
    elif kind == "revoke":
        ids = db.session.scalars(select(Exemption.id).where(Exemption.revoked_at.is_(None))).all()
        if ids:
            services.revoke_exemption(world.sx_staff, ids[args[0] % len(ids)], "撤回")
    elif kind == "terminate":
        live = db.session.scalars(
            select(Agreement.id).where(
                Agreement.student_id == world.stu_xa.id, Agreement.terminated_on.is_(None)
            )
        ).all()
        if live:
            day = START + timedelta(days=args[0])
            changes.terminate_agreement(world.sx_staff, live[-1], "退出", day)
    elif kind == "end":
        live = db.session.scalars(
            select(Agreement.id).where(Agreement.terminated_on.is_(None)).order_by(Agreement.id)
        ).all()
        changes.change_end(world.sx_staff, live[-1], START + timedelta(days=args[0]))
    elif kind == "agreement":
        start = START + timedelta(days=args[0])
        agreements.create_agreement(
            world.sx_staff,
            student_id=world.stu_xa.id,
            enterprise_id=world.ent_tc.id,
            starts_on=start,
            ends_on=start + timedelta(days=20),
            signed_on=date(2026, 11, 21),
        )
    elif kind == "override":
        day = START + timedelta(days=args[0])
        calendar.set_override(world.sx_staff, day, args[1], "调整", "省里调整")
    elif kind == "unoverride":
        calendar.delete_override(world.sx_staff, START + timedelta(days=args[0]), "恢复")
    elif kind == "close":
        staff = world.sx_staff if args[0] == "SX" else world.xa_staff
        services.close_month(staff, args[0], OCT)
    elif kind == "reopen":
        staff = world.sx_staff if args[0] == "SX" else world.xa_staff
        services.reopen_month(staff, args[0], OCT, "重新核对")


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=OPERATIONS)
def test_any_sequence_of_changes_keeps_the_table_exact(world, frozen, operations):
    # Examples share the database: each starts from the same clock and whatever the
    # previous ones left, which only makes the histories longer.
    frozen(TZ_NOW)
    # A new token step for every example's scans (a step serves a student once, R11).
    clock.advance(timedelta(minutes=next(_EXAMPLES) * 11))
    for op in operations:
        try:
            _apply(world, op)
        except DomainError:
            db.session.rollback()  # a refusal writes nothing: the table must agree too
        no_differences()
    # Later days read the same rows (a paper signature dates from today: no earlier day).
    no_differences(date(2026, 11, 28))
    no_differences(date(2026, 12, 1))


# --- reads: the read model answers what the live computation answers -----------------


def _both(app, read):
    app.config["COMPLIANCE_READ_MODEL"] = False
    live = read()
    app.config["COMPLIANCE_READ_MODEL"] = True
    return live, read()


def _rows(rows):
    return [r.to_dict() | {"ids": r.enterprise_ids, "path": r.union_path} for r in rows]


def _board(board):
    return {
        "summary": board.summary,
        "unions": [g.to_dict() for g in board.union_groups],
        "enterprises": [g.to_dict() for g in board.enterprise_groups],
        "history": board.history,
        "listed": _rows(board.listed),
        "page": _rows(board.listed[3:7]),
        "at_risk": _rows(board.with_status("at_risk")),
        "missed": _rows(board.with_status("missed")),
        # The dashboard's previews (read together in one windowed query).
        "heads": [_rows(board.with_status(s)[:n]) for s in ("missed", "at_risk") for n in (1, 20)],
        "unmatched": _rows(board.unmatched),
        "closed_by": board.closed_by,
    }


def test_reads_from_the_table_equal_the_live_computation(
    app, world, frozen, make_student, make_agreement, add_minutes
):
    frozen("2026-11-21 09:00")
    late = make_student("XA", "赵晚到")
    make_agreement(late, world.ent_xa, "2026-11-15", "2027-06-30")
    switcher = make_student("TC", "钱换企")
    make_agreement(switcher, world.ent_xa, "2026-09-01", "2026-11-10")
    make_agreement(switcher, world.ent_tc, "2026-11-11", "2027-06-30")
    make_student("XA", "孙未匹配")
    # Registered in November: not in the programme in October (monthrows.registered_after).
    newcomer = make_student("XA", "郑新来", created_at=clock.now())
    make_agreement(newcomer, world.ent_xa, "2026-10-01", "2027-06-30")
    busy = make_student("XA", "周勤快")
    agreement = make_agreement(busy, world.ent_xa)
    add_minutes(busy, agreement, "2026-11-07", 1500)
    add_minutes(world.stu_xa, world.agr_xa, "2026-11-14", 600, status="pending")
    add_minutes(world.stu_tc, world.agr_tc, "2026-10-10", 900)
    services.create_exemption(world.xa_staff, late.id, NOV, "考试周", None)
    services.close_month(world.xa_staff, "XA", OCT)
    no_differences()
    for month in (OCT, NOV, DEC, "2026-06"):
        for actor, union in (
            (world.sx_staff, None),
            (world.sx_staff, "TC"),
            (world.xa_staff, None),
        ):
            live, table = _both(
                app, lambda: _board(services.dashboard(actor, month, union_code=union))
            )
            assert live == table, (month, union)
            for status in (None, "at_risk", "not_required"):
                live, table = _both(
                    app,
                    lambda: services.list_compliance_page(
                        actor, month, union_code=union, status=status, paging=lambda: (1, 3)
                    ),
                )
                assert _rows(live[0]) == _rows(table[0]) and live[1:] == table[1:]
    from volunteer.reports import services as reports

    live, table = _both(app, lambda: reports.build_union_summary(world.sx_staff, "SX", NOV))
    assert live == table


def test_a_check_out_into_a_month_without_a_row_inserts_it(
    world, frozen, make_student, make_agreement
):
    from volunteer.extensions import db as _db

    frozen("2026-11-30 22:00")
    student = make_student("XA", "吴夜班")
    make_agreement(student, world.ent_xa, "2026-11-01", "2026-11-30", kind="internship")
    user = _db.session.scalars(select(User).where(User.student_id == student.id)).one()
    scanning.record_scan(user, code(world.site_xa), "check_in")
    clock.advance(timedelta(hours=3))  # past midnight: 120 minutes in November, 60 in December
    scanning.record_scan(user, code(world.site_xa), "check_out")
    assert (figures(student).pending_minutes, figures(student, DEC).pending_minutes) == (120, 60)
    assert figures(student, DEC).gross_minutes == 0
    no_differences()
