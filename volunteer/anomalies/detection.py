"""The nightly detectors (R42, `flask detect-anomalies`): impossible_travel,
location_pattern, long_day, manual_heavy. Each is a grouped query over indexed columns
(per local day or month where the day or month is the unit); a finding's key makes a
second run add nothing (idempotent), and a dismissed finding is never queued again."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Interval, and_, func, literal, select

from .. import audit, clock
from ..checkin.attempts import SUCCESS_RESULTS
from ..checkin.models import ScanAttempt, ServiceSession, SessionMonth
from ..checkin.rules import distance_m
from ..dbtypes import UTCDateTime
from ..enterprises.models import Enterprise, Site
from ..extensions import db
from ..students.models import Student
from ..unions.models import Union
from . import rules
from .models import Anomaly, AnomalyStudent

COUNTED = ("pending", "confirmed")  # minutes that count, or may count once confirmed
DEFAULT_DAYS = 35  # last month and this one, whatever night of the month it runs


@dataclass
class Finding:
    """A detector's result before it is stored."""

    kind: str
    key: str
    student_ids: list[int]
    session_ids: list[int]
    enterprise_id: int | None
    evidence: dict = field(default_factory=dict)


def _iso(value: datetime) -> str:
    return clock.to_local(value).isoformat(timespec="seconds")


def _local_months(since: datetime, now: datetime) -> list[tuple[str, datetime, datetime]]:
    tz = clock.business_tz()
    out = []
    day = clock.to_local(since).date().replace(day=1)
    while day <= clock.to_local(now).date():
        nxt = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
        start = datetime(day.year, day.month, 1, tzinfo=tz)
        out.append((day.strftime("%Y-%m"), start, datetime(nxt.year, nxt.month, 1, tzinfo=tz)))
        day = nxt
    return out


def _sites() -> dict[int, tuple[str, float | None, float | None, int]]:
    rows = db.session.execute(
        select(Site.id, Site.name, Site.latitude, Site.longitude, Site.enterprise_id)
    )
    return {r[0]: (r[1], r[2], r[3], r[4]) for r in rows}


def _one(values) -> int | None:
    values = set(values)
    return next(iter(values)) if len(values) == 1 else None


# --- impossible_travel ----------------------------------------------------------------


def _widest_km(sites: dict, geo: list[int]) -> float:
    lats = [sites[i][1] for i in geo]
    lons = [sites[i][2] for i in geo]
    return distance_m(min(lats), min(lons), max(lats), max(lons)) / 1000.0


def _sooner_than(start, end, limit: timedelta):
    """SQL: `end` comes less than `limit` after `start` (both UTC timestamp columns)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return (end - start) < literal(limit, Interval())
    return (func.julianday(end) - func.julianday(start)) < limit.total_seconds() / 86400.0


def impossible_travel(since: datetime, now: datetime, sites: dict) -> list[Finding]:
    """A check-out at one site and the next check-in at another, sooner than 30 km/h."""
    geo = [sid for sid, s in sites.items() if s[1] is not None and s[2] is not None]
    if len(geo) < 2:
        return []
    order = (ServiceSession.check_in_at, ServiceSession.id)
    window = {"partition_by": ServiceSession.student_id, "order_by": order}
    inner = (
        select(
            ServiceSession.id,
            ServiceSession.student_id,
            ServiceSession.site_id,
            ServiceSession.check_in_at,
            func.lag(ServiceSession.id).over(**window).label("prev_id"),
            func.lag(ServiceSession.site_id).over(**window).label("prev_site"),
            func.lag(ServiceSession.check_out_at, type_=UTCDateTime())
            .over(**window)
            .label("prev_out"),
            func.lag(ServiceSession.status).over(**window).label("prev_status"),
        )
        .where(
            ServiceSession.status != "rejected",
            ServiceSession.check_in_at >= since - timedelta(hours=rules.TRAVEL_WINDOW_HOURS),
            ServiceSession.check_in_at <= now,
        )
        .subquery()
    )
    # No two sites are further apart than the corners of their bounding box: a longer
    # gap is always possible travel, so SQL returns only the pairs closer in time.
    limit = timedelta(
        hours=min(rules.TRAVEL_WINDOW_HOURS, _widest_km(sites, geo) / rules.TRAVEL_KMH)
    )
    rows = db.session.execute(
        select(inner).where(
            inner.c.check_in_at >= since,
            inner.c.prev_site != inner.c.site_id,
            inner.c.prev_status.in_(COUNTED),
            inner.c.site_id.in_(geo),
            inner.c.prev_site.in_(geo),
            _sooner_than(inner.c.prev_out, inner.c.check_in_at, limit),
        )
    )
    out = []
    for sid, student_id, site_id, check_in_at, prev_id, prev_site, prev_out, _st in rows:
        if prev_out is None or check_in_at - prev_out > limit:
            continue
        a, b = sites[prev_site], sites[site_id]
        meters = distance_m(a[1], a[2], b[1], b[2])
        minutes = rules.minutes_between(prev_out, check_in_at)
        if not rules.is_impossible_travel(meters, minutes):
            continue
        speed = rules.travel_speed_kmh(meters, minutes)
        out.append(
            Finding(
                "impossible_travel",
                f"impossible_travel:{prev_id}:{sid}",
                [student_id],
                [prev_id, sid],
                _one([a[3], b[3]]),
                {
                    "from": {
                        "session_id": prev_id,
                        "site_id": prev_site,
                        "site_name": a[0],
                        "check_out_at": _iso(prev_out),
                    },
                    "to": {
                        "session_id": sid,
                        "site_id": site_id,
                        "site_name": b[0],
                        "check_in_at": _iso(check_in_at),
                    },
                    "distance_m": round(meters),
                    "minutes": minutes,
                    "speed_kmh": None if speed == float("inf") else round(speed, 1),
                    "limit_kmh": rules.TRAVEL_KMH,
                },
            )
        )
    return out


# --- location_pattern -----------------------------------------------------------------


def location_pattern(since: datetime, now: datetime, sites: dict) -> list[Finding]:
    """Three or more scans of one student outside a site's radius in one local month."""
    out = []
    for month, start, end in _local_months(since, now):
        outside = and_(
            ScanAttempt.at >= start,
            ScanAttempt.at < end,
            ScanAttempt.location_verdict == "location_outside",
            ScanAttempt.result.in_(SUCCESS_RESULTS),
        )
        students = list(
            db.session.scalars(
                select(ScanAttempt.student_id)
                .where(outside)
                .group_by(ScanAttempt.student_id)
                .having(func.count() >= rules.OUTSIDE_SCANS)
            )
        )
        if not students:
            continue
        scans = defaultdict(list)
        rows = db.session.execute(
            select(
                ScanAttempt.student_id,
                ScanAttempt.session_id,
                ScanAttempt.site_id,
                ScanAttempt.at,
                ScanAttempt.distance_m,
            )
            .where(outside, ScanAttempt.student_id.in_(students))
            .order_by(ScanAttempt.at)
        )
        for student_id, session_id, site_id, at, meters in rows:
            scans[student_id].append(
                {
                    "session_id": session_id,
                    "site_id": site_id,
                    "at": _iso(at),
                    "site_name": sites.get(site_id, ("",))[0],
                    "distance_m": None if meters is None else round(meters),
                }
            )
        for student_id, items in scans.items():
            out.append(
                Finding(
                    "location_pattern",
                    f"location_pattern:{student_id}:{month}",
                    [student_id],
                    sorted({i["session_id"] for i in items if i["session_id"]}),
                    _one(sites[i["site_id"]][3] for i in items if i["site_id"] in sites),
                    {
                        "month": month,
                        "count": len(items),
                        "threshold": rules.OUTSIDE_SCANS,
                        "scans": items[:50],
                    },
                )
            )
    return out


# --- long_day -------------------------------------------------------------------------


def _local_day(column):
    """SQL: the local (business zone) date of a UTC timestamp column, as 'YYYY-MM-DD'."""
    tz = clock.business_tz()
    if db.session.get_bind().dialect.name == "postgresql":
        local = func.timezone(str(tz), func.timezone("UTC", column))
        return func.to_char(local, "YYYY-MM-DD")
    # SQLite has no zone database: the zone's offset now (the business zone keeps one).
    hours = clock.local_now().utcoffset().total_seconds() / 3600
    return func.date(column, f"{hours:+g} hours")


def long_day(since: datetime, now: datetime, sites: dict) -> list[Finding]:
    """A student's minutes in one local day (by check-in) above DAILY_CAP_HOURS: one
    grouped pass over the window's sessions, then the sessions of the days found."""
    cap = int(float(current_app.config.get("DAILY_CAP_HOURS", 10)) * 60)
    tz = clock.business_tz()
    first = clock.to_local(since).date()
    start = datetime(first.year, first.month, first.day, tzinfo=tz)
    day = _local_day(ServiceSession.check_in_at)
    in_window = and_(
        ServiceSession.status.in_(COUNTED),
        ServiceSession.check_in_at >= start,
        ServiceSession.check_in_at <= now,
    )
    heavy = db.session.execute(
        select(ServiceSession.student_id, day)
        .where(in_window)
        .group_by(ServiceSession.student_id, day)
        .having(func.sum(ServiceSession.minutes) > cap)
    ).all()
    if not heavy:
        return []
    wanted = {(student_id, d) for student_id, d in heavy}
    by_day = defaultdict(list)
    for s in db.session.scalars(
        select(ServiceSession)
        .where(in_window, ServiceSession.student_id.in_({sid for sid, _d in wanted}))
        .order_by(ServiceSession.check_in_at)
    ):
        key = (s.student_id, clock.to_local(s.check_in_at).date().isoformat())
        if key in wanted:
            by_day[key].append(s)
    out = []
    for (student_id, on), items in sorted(by_day.items()):
        out.append(
            Finding(
                "long_day",
                f"long_day:{student_id}:{on}",
                [student_id],
                [s.id for s in items],
                _one(s.enterprise_id for s in items),
                {
                    "date": on,
                    "minutes": sum(s.minutes for s in items),
                    "cap_minutes": cap,
                    "sessions": [
                        {
                            "session_id": s.id,
                            "site_name": sites.get(s.site_id, ("",))[0],
                            "check_in_at": _iso(s.check_in_at),
                            "check_out_at": _iso(s.check_out_at) if s.check_out_at else None,
                            "minutes": s.minutes,
                        }
                        for s in items
                    ],
                },
            )
        )
    return out


# --- manual_heavy ---------------------------------------------------------------------


def manual_heavy(since: datetime, now: datetime, sites: dict) -> list[Finding]:
    """An enterprise whose manual minutes exceed 30% of its minutes in a month: the
    months' totals from the month rows, the manual part from the (few) manual sessions."""
    months = [m for m, _start, _end in _local_months(since, now)]
    counted = and_(SessionMonth.month.in_(months), SessionMonth.status.in_(COUNTED))
    manual_rows = db.session.execute(
        select(
            SessionMonth.enterprise_id,
            SessionMonth.month,
            ServiceSession.id,
            ServiceSession.student_id,
            SessionMonth.minutes,
        )
        .join(ServiceSession, ServiceSession.id == SessionMonth.session_id)
        .where(counted, ServiceSession.flags.like("%manual%"))
        .order_by(ServiceSession.id)
    ).all()
    if not manual_rows:
        return []
    manual = defaultdict(list)
    for enterprise_id, month, session_id, student_id, minutes in manual_rows:
        manual[(enterprise_id, month)].append((session_id, student_id, minutes))
    totals = dict(
        ((r[0], r[1]), int(r[2]))
        for r in db.session.execute(
            select(SessionMonth.enterprise_id, SessionMonth.month, func.sum(SessionMonth.minutes))
            .where(counted, SessionMonth.enterprise_id.in_({k[0] for k in manual}))
            .group_by(SessionMonth.enterprise_id, SessionMonth.month)
        )
    )
    out = []
    for (enterprise_id, month), items in sorted(manual.items()):
        manual_min, total_min = sum(i[2] for i in items), totals.get((enterprise_id, month), 0)
        if not rules.is_manual_heavy(manual_min, total_min):
            continue
        out.append(
            Finding(
                "manual_heavy",
                f"manual_heavy:{enterprise_id}:{month}",
                sorted({i[1] for i in items})[:200],
                [i[0] for i in items][:500],
                enterprise_id,
                {
                    "month": month,
                    "manual_minutes": manual_min,
                    "total_minutes": total_min,
                    "share": round(manual_min / total_min, 3),
                    "threshold": rules.MANUAL_SHARE,
                },
            )
        )
    return out


DETECTORS = (impossible_travel, location_pattern, long_day, manual_heavy)


def _paths(findings: list[Finding]) -> tuple[dict[int, str], dict[int, str]]:
    student_ids = {f.student_ids[0] for f in findings if f.student_ids}
    enterprise_ids = {f.enterprise_id for f in findings if f.enterprise_id}
    students = (
        dict(
            db.session.execute(
                select(Student.id, Union.path)
                .join(Union, Union.code == Student.union_code)
                .where(Student.id.in_(student_ids))
            ).all()
        )
        if student_ids
        else {}
    )
    enterprises = (
        dict(
            db.session.execute(
                select(Enterprise.id, Union.path)
                .join(Union, Union.code == Enterprise.union_code)
                .where(Enterprise.id.in_(enterprise_ids))
            ).all()
        )
        if enterprise_ids
        else {}
    )
    return students, enterprises


def store(findings: list[Finding], now: datetime) -> list[Anomaly]:
    """Queue the findings not queued before (by key), audited; no commit."""
    keys = [f.key for f in findings]
    known: set[str] = set()
    for i in range(0, len(keys), 500):
        known.update(
            db.session.scalars(select(Anomaly.key).where(Anomaly.key.in_(keys[i : i + 500])))
        )
    new = [f for f in {f.key: f for f in findings}.values() if f.key not in known]
    if not new:
        return []
    anomalies = []
    for f in new:
        anomaly = Anomaly(
            kind=f.kind,
            status="open",
            key=f.key,
            enterprise_id=f.enterprise_id,
            session_ids=f.session_ids,
            evidence=f.evidence,
            detected_at=now,
            updated_at=now,
        )
        anomaly.students = [AnomalyStudent(student_id=sid) for sid in f.student_ids]
        anomalies.append(anomaly)
    db.session.add_all(anomalies)
    db.session.flush()
    students, enterprises = _paths(new)
    for f, anomaly in zip(new, anomalies, strict=True):
        audit.record(
            None,
            "detected",
            "anomaly",
            anomaly.id,
            after={"kind": f.kind, "key": f.key, "student_ids": f.student_ids},
            union_path=students.get(f.student_ids[0])
            if f.student_ids
            else enterprises.get(f.enterprise_id),
            other_union_path=enterprises.get(f.enterprise_id),
        )
    return anomalies


def detect_anomalies(now: datetime | None = None, days: int = DEFAULT_DAYS) -> dict[str, int]:
    """Run every nightly detector over the last `days` days; queue what is new; commits
    once. Returns the number of new anomalies per kind."""
    now = now or clock.now()
    since = now - timedelta(days=days)
    sites = _sites()
    findings = [f for detector in DETECTORS for f in detector(since, now, sites)]
    created = store(findings, now)
    db.session.commit()
    counts = dict.fromkeys(rules_kinds(), 0)
    for anomaly in created:
        counts[anomaly.kind] += 1
    return counts


def rules_kinds() -> tuple[str, ...]:
    """Return the kinds the nightly run finds."""
    return ("impossible_travel", "location_pattern", "long_day", "manual_heavy")
