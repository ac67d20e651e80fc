"""`send-reminders` (R34): what is due at the clock's now, made set-based and at most once.

Every reminder carries a key unique per user (the run of allowed days, the day, the month,
the agreement's end), so running again writes nothing new. Each kind costs a bounded
number of grouped queries and one bulk insert per 2,000 messages, whatever the number
of students.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import and_, func, or_, select

from .. import clock
from ..agreements.models import Agreement
from ..auth.models import User
from ..calendar.rules import add_months, month_of
from ..calendar.services import calendars_for
from ..checkin.models import ServiceSession, SessionMonth
from ..compliance.monthrows import compute_rows_by_month
from ..enterprises.models import Enterprise
from ..extensions import db
from ..periods.models import Attestation
from ..students.models import Student
from ..unions.models import Union
from . import rules
from .models import Notification
from .services import Message, link_to, notify


@dataclass
class ReminderStats:
    """How many notifications each kind made in one run."""

    pace_reminder: int = 0
    confirmations_pending: int = 0
    month_digest: int = 0
    agreement_ending: int = 0

    def total(self) -> int:
        """Return the sum over kinds."""
        return (
            self.pace_reminder
            + self.confirmations_pending
            + self.month_digest
            + self.agreement_ending
        )


def send_reminders(now: datetime | None = None) -> ReminderStats:
    """Create every reminder due at `now`; commits once per kind."""
    now = now or clock.now()
    today = clock.to_local(now).date()
    stats = ReminderStats()
    for kind, make in (
        ("pace_reminder", _pace_reminders),
        ("confirmations_pending", _confirmation_nudges),
        ("month_digest", _month_digests),
        ("agreement_ending", _agreement_endings),
    ):
        setattr(stats, kind, notify(make(now, today), now))
        db.session.commit()
    return stats


# --- pace -----------------------------------------------------------------------------


def _student_users() -> dict[int, int]:
    rows = db.session.execute(
        select(User.student_id, User.id).where(
            User.role == "student", User.is_enabled.is_(True), User.student_id.is_not(None)
        )
    )
    return dict(rows.tuples().all())


def _pace_reminders(now: datetime, today: date) -> list[Message]:
    tomorrow = today + timedelta(days=1)
    cals = calendars_for({month_of(today), month_of(tomorrow)})
    today_rest = cals[month_of(today)].is_rest(today)
    tomorrow_rest = cals[month_of(tomorrow)].is_rest(tomorrow)
    if not rules.is_run_eve(today_rest, tomorrow_rest):
        return []
    month = month_of(tomorrow)
    key = f"pace_reminder:{tomorrow.isoformat()}"
    users = _student_users()
    ids = select(User.student_id).where(
        User.role == "student", User.is_enabled.is_(True), User.student_id.is_not(None)
    )
    rows = compute_rows_by_month([month], ids, today=today)[month]
    link = link_to("compliance.my_progress", month=month)
    out = []
    for row in rows:
        uid = users.get(row.student_id)
        if uid is None or not rules.pace_reminder_due(row.status, row.needed_minutes):
            continue
        data = {
            "month": month,
            "needed_minutes": row.needed_minutes,
            "allowed_days_left": row.allowed_days_left,
            "run_starts_on": tomorrow.isoformat(),
        }
        out.append(Message(uid, "pace_reminder", data, link, key))
    return out


# --- enterprises: confirmations waiting -----------------------------------------------


def _confirmation_nudges(now: datetime, today: date) -> list[Message]:
    days = int(current_app.config.get("CONFIRM_REMINDER_DAYS", 3))
    counts = dict(
        db.session.execute(
            select(ServiceSession.enterprise_id, func.count(ServiceSession.id))
            .where(
                ServiceSession.status == "pending",
                ServiceSession.check_out_at <= now - timedelta(days=days),
            )
            .group_by(ServiceSession.enterprise_id)
        )
        .tuples()
        .all()
    )
    if not counts:
        return []
    staff = db.session.execute(
        select(User.id, User.enterprise_id).where(
            User.role == "enterprise_staff",
            User.is_enabled.is_(True),
            User.enterprise_id.in_(list(counts)),
        )
    ).all()
    link = link_to("checkin.enterprise_sessions", status="pending")
    key = f"confirmations_pending:{today.isoformat()}"
    return [
        Message(uid, "confirmations_pending", {"count": counts[eid], "days": days}, link, key)
        for uid, eid in staff
    ]


# --- union staff: the month that just ended ---------------------------------------------


def _ancestors(path: str, memo: dict[str, list[str]]) -> list[str]:
    found = memo.get(path)
    if found is None:
        found = memo[path] = [c for c in path.strip("/").split("/") if c]
    return found


def _month_digests(now: datetime, today: date) -> list[Message]:
    month = add_months(month_of(today), -1)
    key = f"month_digest:{month}"
    already = select(Notification.user_id).where(Notification.dedupe_key == key)
    staff = db.session.execute(
        select(User.id, User.union_code).where(
            User.role == "union_staff",
            User.is_enabled.is_(True),
            User.union_code.is_not(None),
            User.id.not_in(already),
        )
    ).all()
    if not staff:
        return []  # every officer has this month's digest: skip the month's figures
    missed: dict[str, int] = defaultdict(int)
    pending: dict[str, int] = defaultdict(int)
    memo: dict[str, list[str]] = {}
    rows = compute_rows_by_month([month], select(Student.id), today=today)[month]
    for row in rows:
        if row.status != "missed" and not row.pending_minutes:
            continue
        for code in _ancestors(row.union_path, memo):
            missed[code] += row.status == "missed"
            pending[code] += 0 if row.is_closed else row.pending_minutes
    unattested = _unattested_by_union(month, memo)
    link = link_to("compliance.dashboard", month=month)
    out = []
    for uid, code in staff:
        data = {
            "month": month,
            "missed": missed.get(code, 0),
            "pending_minutes": pending.get(code, 0),
            "unattested": unattested.get(code, 0),
        }
        out.append(Message(uid, "month_digest", data, link, key))
    return out


def _unattested_by_union(month: str, memo: dict[str, list[str]]) -> dict[str, int]:
    """Count per union the enterprises it registered that served in `month` unattested."""
    served = select(SessionMonth.enterprise_id).where(SessionMonth.month == month).distinct()
    rows = db.session.execute(
        select(Union.path)
        .select_from(Enterprise)
        .join(Union, Union.code == Enterprise.union_code)
        .outerjoin(
            Attestation,
            and_(Attestation.enterprise_id == Enterprise.id, Attestation.month == month),
        )
        .where(
            Enterprise.id.in_(served),
            or_(Attestation.id.is_(None), Attestation.stale_since.is_not(None)),
        )
    ).scalars()
    out: dict[str, int] = defaultdict(int)
    for path in rows:
        for code in _ancestors(path, memo):
            out[code] += 1
    return out


# --- agreements ending ------------------------------------------------------------------


def _agreement_endings(now: datetime, today: date) -> list[Message]:
    first, last = rules.agreement_ending_window(today)
    signed = (
        Agreement.student_signed_at.is_not(None) & Agreement.enterprise_signed_at.is_not(None)
    ) | Agreement.paper_signed_on.is_not(None)
    agreements = db.session.execute(
        select(
            Agreement.id,
            Agreement.ends_on,
            Agreement.student_id,
            Agreement.enterprise_id,
            Student.name,
            Student.union_code,
            Enterprise.name,
        )
        .join(Student, Student.id == Agreement.student_id)
        .join(Enterprise, Enterprise.id == Agreement.enterprise_id)
        .where(
            Agreement.ends_on >= first,
            Agreement.ends_on <= last,
            Agreement.terminated_on.is_(None),
            signed,
        )
    ).all()
    if not agreements:
        return []
    students = {a[2] for a in agreements}
    enterprises = {a[3] for a in agreements}
    unions = {a[5] for a in agreements}
    accounts = db.session.execute(
        select(User.id, User.role, User.student_id, User.enterprise_id, User.union_code).where(
            User.is_enabled.is_(True),
            (User.student_id.in_(students))
            | ((User.role == "enterprise_staff") & User.enterprise_id.in_(enterprises))
            | ((User.role == "union_staff") & User.union_code.in_(unions)),
        )
    ).all()
    by_student, by_enterprise, by_union = defaultdict(list), defaultdict(list), defaultdict(list)
    for uid, role, sid, eid, code in accounts:
        if role == "student":
            by_student[sid].append(uid)
        elif role == "enterprise_staff":
            by_enterprise[eid].append(uid)
        else:
            by_union[code].append(uid)
    student_link = link_to("agreements.my_agreements")
    out = []
    for aid, ends_on, sid, eid, student_name, union_code, enterprise_name in agreements:
        data = {
            "agreement_id": aid,
            "ends_on": ends_on.isoformat(),
            "student_name": student_name,
            "enterprise_name": enterprise_name,
        }
        key = f"agreement_ending:{aid}:{ends_on.isoformat()}"
        staff_link = link_to("agreements.detail", agreement_id=aid)
        for uid in by_student[sid]:
            out.append(Message(uid, "agreement_ending", data, student_link, key))
        for uid in by_enterprise[eid] + by_union[union_code]:
            out.append(Message(uid, "agreement_ending", data, staff_link, key))
    return out
