"""Demo sessions for `flask seed-demo`: about a month and a half of service for every
student with an active agreement — mostly confirmed weekend sessions, recent ones
pending, and one of each unusual case (rejected, auto-closed, every flag, a correction,
someone on duty right now)."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from sqlalchemy import select

from .. import clock
from ..agreements.models import Agreement
from ..auth.models import User
from ..calendar.rules import add_months, month_bounds, month_of
from ..enterprises.models import Site
from ..extensions import db
from . import rules, sessions
from .coverage import month_calendar
from .models import Correction, ScanAttempt, ServiceSession

LOGINS: list[tuple[str, str, str]] = []
# The demo students' own phones check in live during a demo: leave them nothing open.
LIVE_STUDENTS = ("stu_demo1", "stu_demo2")
PENDING_DAYS = 8  # sessions younger than this still wait for the enterprise
_START_HOURS = (8, 9, 9, 10, 13, 14)
_LENGTHS = (150, 180, 210, 240, 240, 270, 300, 330)  # minutes
_PHONES = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 MicroMessenger/8.0.50",
    "Mozilla/5.0 (Linux; Android 14; V2302A) AppleWebKit/537.36 Chrome/122.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 13; 22081212C) AppleWebKit/537.36 XWEB/1160117 MicroMessenger/8.0.49",
)
# Refusals sprinkled before some check-ins, as a real week of scanning has them.
_REFUSALS = ("token_expired", "token_expired", "token_reused", "token_invalid", "day_not_allowed")


class _Seeder:
    def __init__(self, now: datetime) -> None:
        self.now = now
        self.tz = clock.business_tz()
        self.rng = random.Random(2026)
        self.sites: dict[int, list[Site]] = {}
        for site in db.session.scalars(select(Site).where(Site.is_active).order_by(Site.id)):
            self.sites.setdefault(site.enterprise_id, []).append(site)
        self.staff = {
            u.enterprise_id: u
            for u in db.session.scalars(select(User).where(User.role == "enterprise_staff"))
        }
        self.made: list[ServiceSession] = []

    def rest_days(self, agreement: Agreement) -> list[date]:
        """Rest days of last month and this month inside the agreement, before today."""
        this_month = month_of(self.now.astimezone(self.tz).date())
        days: list[date] = []
        for month in (add_months(this_month, -1), this_month):
            first, last = month_bounds(month)
            cal = month_calendar(month)
            days += cal.allowed_dates(
                max(first, agreement.starts_on), min(last, agreement.last_day), False
            )
        return [d for d in days if d < self.now.astimezone(self.tz).date()]

    def session(
        self, agreement: Agreement, site: Site, start: datetime, minutes: int
    ) -> ServiceSession:
        """Add a closed session, confirmed or pending by its age."""
        end = start + timedelta(minutes=minutes)
        age = (self.now - end).days
        s = ServiceSession(
            student_id=agreement.student_id,
            enterprise_id=agreement.enterprise_id,
            site_id=site.id,
            agreement_id=agreement.id,
            check_in_at=start,
            check_out_at=end,
            minutes=rules.whole_minutes(start, end),
            status="pending" if age < PENDING_DAYS else "confirmed",
            flags="",
            created_at=start,
            updated_at=end,
        )
        if s.status == "confirmed":
            s.decided_at = end + timedelta(days=2)
            s.decided_by_id = getattr(self.staff.get(agreement.enterprise_id), "id", None)
        if site.latitude is not None and site.radius_m:
            near = self.rng.random() < 0.85
            s.distance_m = self.rng.uniform(5, site.radius_m * 0.8) if near else site.radius_m * 3.2
            s.flags = "" if near else "location_outside"
        db.session.add(s)
        self.made.append(s)
        return s

    def serve(self, agreement: Agreement) -> None:
        """Give one student a realistic rhythm: most weekends, a morning or an afternoon."""
        sites = self.sites.get(agreement.enterprise_id)
        if not sites:
            return
        for day in self.rest_days(agreement):
            if self.rng.random() < 0.35:
                continue  # not every rest day
            hour = self.rng.choice(_START_HOURS)
            start = datetime(
                day.year, day.month, day.day, hour, self.rng.choice((0, 5, 10, 30)), tzinfo=self.tz
            )
            minutes = self.rng.choice(_LENGTHS)
            if start + timedelta(minutes=minutes) < self.now:
                self.session(agreement, self.rng.choice(sites), start, minutes)


def _active_agreements(today: date) -> list[tuple[Agreement, str | None]]:
    rows = db.session.execute(
        select(Agreement, User.username)
        .outerjoin(User, User.student_id == Agreement.student_id)
        .where(Agreement.starts_on <= today, Agreement.ends_on >= today)
        .order_by(Agreement.id)
    )
    return [(a, username) for a, username in rows if a.status_on(today) == "active"]


def seed() -> None:
    """Create the demo sessions (nothing when no agreement is active today)."""
    if db.session.scalar(select(ServiceSession.id).limit(1)) is not None:
        return
    now = clock.now().replace(microsecond=0)
    agreements = _active_agreements(clock.today())
    if not agreements:
        return
    s = _Seeder(now)
    for agreement, _username in agreements:
        s.serve(agreement)
    db.session.flush()
    _special_cases(s, [a for a, u in agreements if u not in LIVE_STUDENTS])
    for session in s.made:
        sessions.sync_months(session)
    _scan_log(s)
    db.session.commit()


def _special_cases(s: _Seeder, agreements: list[Agreement]) -> None:
    """One of each: rejected, adjusted, manual, poster, unverified, auto-closed (one with a
    correction request), and a student on duty now."""
    by_student = {}
    for made in s.made:
        by_student.setdefault(made.student_id, []).append(made)
    candidates = [by_student[a.student_id] for a in agreements if by_student.get(a.student_id)]
    if len(candidates) < 4:
        return
    picks = [rows[-1] for rows in candidates[:8]]
    _decide(picks[0], "rejected", "当天未到岗，签到为他人代扫")
    _flag(picks[1], "adjusted", reason="学生迟到 30 分钟，按实际时间调整", minutes_off=30)
    _flag(picks[2], "manual", reason="平板断网，按纸质签到表补录")
    # These two wait on the confirmation page, where their flags stand out.
    _flag(picks[3], "poster", status="pending")
    if len(picks) > 4:
        _flag(picks[4], "location_unverified", status="pending")
    auto = [_auto_close(p, s) for p in picks[5:7]]
    if auto and auto[0] is not None:
        first = auto[0]
        db.session.add(
            Correction(
                session_id=first.id,
                student_id=first.student_id,
                enterprise_id=first.enterprise_id,
                proposed_check_out_at=first.check_in_at + timedelta(hours=4),
                status="open",
                note="当天忘记签退，服务了约 4 小时后离开，可请带班老师核实。",
                created_at=s.now - timedelta(hours=20),
            )
        )
    _on_duty(s, agreements)


def _decide(session: ServiceSession, status: str, reason: str) -> None:
    session.status, session.reason = status, reason


def _flag(
    session: ServiceSession,
    flag: str,
    reason: str | None = None,
    minutes_off: int = 0,
    status: str | None = None,
) -> None:
    session.flags = sessions.with_flags(session.flags, flag)
    if status:
        session.status, session.decided_at, session.decided_by_id = status, None, None
    if reason:
        session.reason = reason
        session.status = "confirmed"
    if minutes_off:
        session.check_in_at += timedelta(minutes=minutes_off)
        session.minutes = rules.whole_minutes(session.check_in_at, session.check_out_at)


def _auto_close(session: ServiceSession, s: _Seeder) -> ServiceSession | None:
    cap = rules.auto_close_at(session.check_in_at, sessions.max_session_hours())
    if cap > s.now:
        return None
    session.status, session.check_out_at, session.minutes = "auto_closed", cap, 0
    session.flags = sessions.with_flags(session.flags, "auto_closed")
    return session


def _on_duty(s: _Seeder, agreements: list[Agreement]) -> None:
    """Someone checked in an hour and a half ago, when today is a day they may serve."""
    today = s.now.astimezone(s.tz).date()
    for agreement in agreements:
        allowed = agreement.allow_workdays or month_calendar(month_of(today)).is_rest(today)
        sites = s.sites.get(agreement.enterprise_id)
        if allowed and sites:
            start = s.now - timedelta(minutes=90)
            busy = db.session.scalar(
                select(ServiceSession.id).where(
                    ServiceSession.student_id == agreement.student_id,
                    ServiceSession.check_out_at > start,
                )
            )
            if busy is None:
                db.session.add(
                    ServiceSession(
                        student_id=agreement.student_id,
                        enterprise_id=agreement.enterprise_id,
                        site_id=sites[0].id,
                        agreement_id=agreement.id,
                        check_in_at=start,
                        status="open",
                        flags="",
                        minutes=0,
                        created_at=start,
                        updated_at=start,
                    )
                )
                return


def _scan_log(s: _Seeder) -> None:
    """The attempts behind the sessions (R14): a check-in and a check-out each, and some
    refusals; hand-entered sessions have none."""
    radius = {site.id: site.radius_m for sites in s.sites.values() for site in sites}
    for index, session in enumerate(s.made):
        if "manual" in session.flag_list:
            continue
        phone = _PHONES[session.student_id % len(_PHONES)]
        ip = f"10.{session.student_id % 200}.{index % 250}.{(index * 7) % 250 + 2}"
        verdict = None
        if "location_outside" in session.flag_list:
            verdict = "location_outside"
        elif radius.get(session.site_id):
            verdict = "location_inside"
        kind = "poster" if "poster" in session.flag_list else "rotating"
        common = {
            "student_id": session.student_id,
            "site_id": session.site_id,
            "ip": ip,
            "user_agent": phone,
            "token_kind": kind,
            "session_id": session.id,
        }
        if index % 9 == 4:
            refused = {**common, "session_id": None}
            db.session.add(
                ScanAttempt(
                    at=session.check_in_at - timedelta(seconds=75),
                    action="check_in",
                    result=_REFUSALS[index % 5],
                    **refused,
                )
            )
        db.session.add(
            ScanAttempt(
                at=session.check_in_at,
                action="check_in",
                result="checked_in",
                location_verdict=verdict,
                distance_m=session.distance_m,
                **common,
            )
        )
        if session.status != "auto_closed" and session.check_out_at is not None:
            db.session.add(
                ScanAttempt(
                    at=session.check_out_at,
                    action="check_out",
                    result="checked_out",
                    location_verdict=verdict,
                    distance_m=session.distance_m,
                    **common,
                )
            )
