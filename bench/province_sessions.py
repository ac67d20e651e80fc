"""Agreements, a year of sessions in every status with their month rows, and exemptions."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import TYPE_CHECKING

from volunteer.calendar.rules import month_of

if TYPE_CHECKING:
    from bench.province import Province

Emit = Callable[[tuple], None]
_MIN = timedelta(minutes=1)
# Asia/Shanghai has kept UTC+8 without DST since 1991: local dates by a fixed shift.
_LOCAL = timedelta(hours=8)


def _agreement(
    p: Province,
    aid: int,
    sid: int,
    eid: int,
    starts: date,
    ends: date,
    *,
    kind: str = "volunteer",
    hours: int = 24,
    workdays: bool = False,
    signed: bool = True,
    terminated_on: date | None = None,
) -> tuple:
    from bench.province import _Agreement

    signed_at = p.midnight(starts - timedelta(days=7)) + timedelta(hours=2) if signed else None
    last = ends if terminated_on is None else min(ends, terminated_on - timedelta(days=1))
    if signed:
        p.agreements.append(_Agreement(aid, sid, eid, starts, last, workdays))
    term_at = p.midnight(terminated_on) if terminated_on else None
    staff = 2 + p.cities.index(p.student_city[sid - 1])
    created = min(signed_at or p.now_naive, p.now_naive) - timedelta(days=1)
    return (
        aid,
        sid,
        eid,
        kind,
        starts,
        ends,
        hours,
        workdays,
        signed_at,
        signed_at,
        None,
        terminated_on,
        "学生毕业离校" if terminated_on else None,
        term_at,
        staff,
        created,
    )


def agreement_rows(p: Province) -> Iterator[tuple]:
    """Yield agreements: kiosk interns, the big enterprise's 500, and a mix of the rest."""
    rng, start, ends = p.rng, p.window_start, p.ends_on
    aid = 0
    p.lazy = set()
    for sid in range(1, p.plan.students + 1):
        eid = p.assigned[sid]
        if rng.random() < 0.15:
            p.lazy.add(sid)
        aid += 1
        if sid in p.scan_range:
            # Internships allow workdays: any day of the bench is an allowed day (R4).
            yield _agreement(
                p, aid, sid, eid, start, ends, kind="internship", hours=40, workdays=True
            )
            continue
        if sid in p.big_range:
            yield _agreement(p, aid, sid, eid, start, ends)
            continue
        r = rng.random()
        if r < 0.01:
            aid -= 1  # unmatched: no agreement at all
        elif r < 0.02:
            next_month = date(p.today.year + (p.today.month == 12), p.today.month % 12 + 1, 1)
            yield _agreement(p, aid, sid, eid, next_month, ends, signed=False)
        elif r < 0.05:
            span = (p.today - start).days - 61
            cut = start + timedelta(days=60 + rng.randrange(max(1, span)))
            yield _agreement(p, aid, sid, eid, start, ends, terminated_on=cut)
        elif r < 0.15:
            # Switches enterprise mid-month: the requirement is pro-rated (R18).
            span = (p.today - start).days - 31
            switch = start + timedelta(days=30 + rng.randrange(max(1, span)))
            yield _agreement(p, aid, sid, eid, start, switch - timedelta(days=1))
            aid += 1
            city = p.student_city[sid - 1]
            other = rng.choice(p.by_city[city] or p.regular_ids)
            yield _agreement(p, aid, sid, other, switch, ends)
        elif r < 0.30:
            joined = date.fromisoformat(rng.choice(p.month_list[1:]) + "-01")
            joined += timedelta(days=rng.choice((0, 0, 0, 9, 14)))
            yield _agreement(p, aid, sid, eid, joined, ends)
        else:
            yield _agreement(p, aid, sid, eid, start, ends)
    p.counts["agreements"] = aid


# (upper bound of a uniform draw, status) per month age: 0 current, 1 last, 2+ older.
_STATUS_MIX = {
    0: ((0.35, "confirmed"), (0.93, "pending"), (0.96, "rejected"), (1.0, "auto_closed")),
    1: ((0.60, "confirmed"), (0.93, "pending"), (0.96, "rejected"), (1.0, "auto_closed")),
    2: ((0.85, "confirmed"), (0.92, "pending"), (0.95, "rejected"), (1.0, "auto_closed")),
}


def _status(u: float, age: int) -> str:
    for bound, status in _STATUS_MIX[min(age, 2)]:
        if u < bound:
            return status
    return "auto_closed"


def _flags(rng, status: str) -> tuple[str, str | None]:
    flags, reason = [], None
    u = rng.random()
    if status == "confirmed" and u < 0.04:
        flags.append("adjusted")
        reason = "忘记签退，按实际时间调整"
    elif status == "confirmed" and u < 0.05:
        flags.append("manual")
        reason = "手机没电，人工补录"
    elif status == "rejected":
        reason = "未实际到岗"
    v = rng.random()
    if v < 0.03:
        flags.append("poster")
    elif v < 0.08:
        flags.append("location_unverified")
    return ",".join(sorted(flags)), reason


def session_rows(p: Province, emit_session: Emit, emit_month: Emit) -> None:
    """Emit a year of closed sessions per agreement, their month rows, and a few open ones."""
    rng, plan = p.rng, p.plan
    yesterday = p.today - timedelta(days=1)
    ages = {m: len(p.month_list) - 1 - i for i, m in enumerate(p.month_list)}
    totals = {m: cal.allowed_days(cal.first, cal.last, False) for m, cal in p.calendars.items()}
    sess_id = month_id = 0
    now = p.now_naive
    for a in p.agreements:
        lazy = a.student_id in p.lazy
        staff = p.enterprise_staff[a.enterprise_id]
        sites = p.enterprise_sites[a.enterprise_id]
        for m, cal in p.calendars.items():
            dates = cal.allowed_dates(a.starts_on, min(a.last_day, yesterday), a.allow_workdays)
            if not dates:
                continue
            full = cal.allowed_days(cal.first, cal.last, True) if a.allow_workdays else totals[m]
            k = rng.randint(0, 3) if lazy else rng.randint(plan.sessions_min, plan.sessions_max)
            k = min(len(dates), round(k * len(dates) / max(1, full)))
            age = ages[m]
            for d in rng.sample(dates, k):
                if d == cal.last and d < yesterday and rng.random() < 0.3:
                    start = p.midnight(d) + timedelta(minutes=rng.randrange(21 * 60, 23 * 60))
                    length = rng.randrange(120, 300)  # crosses into the next month (R15)
                else:
                    start = p.midnight(d) + timedelta(minutes=rng.randrange(8 * 60, 15 * 60))
                    length = rng.randrange(120, 360)
                status = _status(rng.random(), age)
                sess_id += 1
                flags, reason = _flags(rng, status)
                decided = decider = None
                if status == "auto_closed":
                    end, minutes, flags = start + timedelta(hours=12), 0, "auto_closed"
                else:
                    end, minutes = start + length * _MIN, length
                    if status in ("confirmed", "rejected"):
                        decided = min(end + timedelta(hours=rng.randrange(1, 72)), now - _MIN)
                        decider = staff
                emit_session(
                    (
                        sess_id,
                        a.student_id,
                        a.enterprise_id,
                        rng.choice(sites),
                        a.id,
                        start,
                        end,
                        status,
                        flags,
                        reason,
                        minutes,
                        None,
                        None,
                        None,
                        None,
                        decided,
                        decider,
                        start,
                        decided or end,
                    )
                )
                # As the app's sync_months: every month touched, 0 unless the status counts.
                if (start + _LOCAL).month == (end + _LOCAL).month:
                    parts = {m: minutes}
                else:
                    parts = p.split(start, end)
                counts = status in ("confirmed", "pending")
                for month, part in parts.items():
                    month_id += 1
                    emit_month(
                        (
                            month_id,
                            sess_id,
                            a.student_id,
                            a.enterprise_id,
                            a.id,
                            month,
                            part if counts else 0,
                            status,
                        )
                    )
    sess_id = _open_sessions(p, emit_session, sess_id)
    p.counts["service_sessions"] = sess_id
    p.counts["session_months"] = month_id


def _open_sessions(p: Province, emit_session: Emit, sess_id: int) -> int:
    """A few students are at their enterprise right now (never the kiosk pool)."""
    for a in p.agreements:
        if a.student_id in p.scan_range or p.rng.random() >= 0.005:
            continue
        start = p.now_naive - timedelta(minutes=p.rng.randrange(5, 120))
        local_day = (start + _LOCAL).date()
        cal = p.calendars.get(month_of(local_day))
        if cal is None or not (a.starts_on <= local_day <= a.last_day):
            continue
        if not cal.is_allowed(local_day, a.allow_workdays):
            continue
        sess_id += 1
        emit_session(
            (
                sess_id,
                a.student_id,
                a.enterprise_id,
                p.enterprise_sites[a.enterprise_id][0],
                a.id,
                start,
                None,
                "open",
                "",
                None,
                0,
                None,
                None,
                None,
                None,
                None,
                None,
                start,
                start,
            )
        )
    return sess_id


def exemption_rows(p: Province) -> Iterator[tuple]:
    """Yield approved exemptions for about 1% of student-months with an agreement."""
    xid = 0
    seen: set[tuple[int, str]] = set()
    for a in p.agreements:
        for m in p.month_list:
            if p.rng.random() >= 0.01 or (a.student_id, m) in seen:
                continue
            seen.add((a.student_id, m))
            xid += 1
            staff = 2 + p.cities.index(p.student_city[a.student_id - 1])
            minutes = None if p.rng.random() < 0.5 else 360
            yield (xid, a.student_id, m, minutes, "因病请假（附医院证明）", staff, p.created, None)
    p.counts["exemptions"] = xid
