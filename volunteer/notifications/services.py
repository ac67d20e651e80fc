"""Writing to inboxes and the outbox, reading them, and each person's preferences."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app, has_request_context, url_for
from sqlalchemy import Select, delete, func, insert, select, update

from .. import audit, clock
from ..auth import scope
from ..auth.models import User
from ..errors import N_, ValidationError
from ..extensions import db
from ..students.models import Student
from . import rules
from .models import Delivery, Notification, NotificationOptOut
from .texts import compose

_BATCH = 2000
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


@dataclass(slots=True)
class Message:
    """One notification to write: who, which kind, its data, where to act, its key."""

    user_id: int
    kind: str
    data: dict = field(default_factory=dict)
    link: str | None = None
    # Unique per user: the same key twice writes one notification (reminders re-run).
    dedupe_key: str | None = None


def link_to(endpoint: str, **values: object) -> str:
    """Return the path of a page, inside or outside a request (CLI, receivers)."""
    if has_request_context():
        return url_for(endpoint, **values)
    with current_app.test_request_context("/"):
        return url_for(endpoint, **values)


def _insert_ignoring_duplicates(rows: list[dict]) -> list[tuple[int, int]]:
    """Insert notifications, skipping (user, key) pairs already there; return (id, user)."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    stmt = (
        dialect_insert(Notification)
        .on_conflict_do_nothing(index_elements=["user_id", "dedupe_key"])
        .returning(Notification.id, Notification.user_id)
    )
    return [(r[0], r[1]) for r in db.session.execute(stmt, rows)]


def notify(messages: Sequence[Message], now: datetime | None = None) -> int:
    """Write notifications and their outbox rows (no commit); return how many were new.

    Set-based: a few statements per 2,000 messages whatever their number, so that the
    reminders of a whole province fit in one run.
    """
    now = now or clock.now()
    created = 0
    for start in range(0, len(messages), _BATCH):
        chunk = messages[start : start + _BATCH]
        rows = []
        for m in chunk:
            title, body = compose(m.kind, m.data)
            rows.append(
                {
                    "user_id": m.user_id,
                    "kind": m.kind,
                    "title": rules.scrub(str(title))[:200],
                    "body": rules.scrub(str(body)),
                    "link": m.link,
                    "data": m.data,
                    "dedupe_key": m.dedupe_key,
                    "created_at": now,
                }
            )
        made = _insert_ignoring_duplicates(rows)
        created += len(made)
        _enqueue_deliveries(made, now)
    return created


def _addresses(user_ids: Iterable[int]) -> dict[int, tuple[str | None, str | None]]:
    """Return {user id: (email, phone)}: email for anyone with one, phone for students."""
    out: dict[int, tuple[str | None, str | None]] = {}
    ids = list(user_ids)
    for start in range(0, len(ids), 1000):
        rows = db.session.execute(
            select(User.id, User.email, Student.phone)
            .outerjoin(Student, Student.id == User.student_id)
            .where(User.id.in_(ids[start : start + 1000]), User.is_enabled.is_(True))
        )
        for uid, email, phone in rows:
            out[uid] = (email, phone)
    return out


def enabled_channels() -> list[str]:
    """Return the channels configured in this deployment."""
    cfg = current_app.config
    out = []
    if cfg.get("MAIL_SERVER"):
        out.append("email")
    if cfg.get("SMS_PROVIDER"):
        out.append("sms")
    return out


def _enqueue_deliveries(made: list[tuple[int, int]], now: datetime) -> None:
    channels = enabled_channels()
    if not made or not channels:
        return
    addresses = _addresses(uid for _, uid in made)
    due = rules.after_quiet_hours(clock.to_local(now))
    rows = []
    for notification_id, uid in made:
        email, phone = addresses.get(uid, (None, None))
        for channel, address in (("email", email), ("sms", phone)):
            if channel in channels and address:
                rows.append(
                    {
                        "notification_id": notification_id,
                        "user_id": uid,
                        "channel": channel,
                        "address": address,
                        "status": "pending",
                        "attempts": 0,
                        "next_attempt_at": due,
                        "created_at": now,
                    }
                )
    if rows:
        db.session.execute(insert(Delivery), rows)


def notify_and_commit(messages: Sequence[Message], now: datetime | None = None) -> int:
    """Write notifications outside any other use case (CLI) and commit."""
    created = notify(messages, now)
    db.session.commit()
    return created


# --- reading ------------------------------------------------------------------------


def unread_count(user: User) -> int:
    """Count the user's unread notifications (the bell: one indexed count)."""
    return (
        db.session.scalar(
            select(func.count(Notification.id)).where(
                Notification.user_id == user.id, Notification.read_at.is_(None)
            )
        )
        or 0
    )


def inbox_query(user: User, unread_only: bool = False) -> Select:
    """Select the user's own notifications, newest first."""
    stmt = select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    return stmt.order_by(Notification.created_at.desc(), Notification.id.desc())


def mark_read(user: User, notification_id: object) -> Notification:
    """Mark one of one's own notifications read (another user's is 404); commits."""
    note = scope.get_or_404(
        select(Notification).where(Notification.user_id == user.id), Notification, notification_id
    )
    if note.read_at is None:
        note.read_at = clock.now()
        db.session.commit()
    return note


def mark_all_read(user: User) -> int:
    """Mark every unread notification of the user read; commits; return how many."""
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=clock.now())
    )
    db.session.commit()
    return result.rowcount or 0


# --- preferences --------------------------------------------------------------------


def opted_out_kinds(user: User) -> set[str]:
    """Return the kinds the user does not want by email or SMS."""
    return set(
        db.session.scalars(
            select(NotificationOptOut.kind).where(NotificationOptOut.user_id == user.id)
        )
    )


def clean_email(value: object) -> str | None:
    """Return a normalised email address, None for empty; 400 when malformed."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError.field("email", N_("应为字符串。"))
    value = value.strip()
    if not value:
        return None
    if len(value) > 254 or not _EMAIL.match(value):
        raise ValidationError.field("email", N_("邮箱地址格式不正确。"))
    return value


def save_preferences(user: User, email: object, opted_out: Iterable[str]) -> User:
    """Set the user's email address and the kinds they opt out of; audited; commits."""
    address = clean_email(email)
    wanted = set(opted_out)
    unknown = wanted - set(rules.KINDS)
    if unknown:
        raise ValidationError.field("opt_out", N_("未知的通知类型。"))
    before = {"email": user.email, "opt_out": sorted(opted_out_kinds(user))}
    user.email = address
    db.session.execute(delete(NotificationOptOut).where(NotificationOptOut.user_id == user.id))
    if wanted:
        db.session.execute(
            insert(NotificationOptOut), [{"user_id": user.id, "kind": k} for k in sorted(wanted)]
        )
    audit.record(
        user,
        "preferences_changed",
        "user",
        user.id,
        before=before,
        after={"email": address, "opt_out": sorted(wanted)},
        union_path=_union_path_of(user),
    )
    db.session.commit()
    return user


def _union_path_of(user: User) -> str | None:
    from ..enterprises.models import Enterprise
    from ..unions.models import Union

    code = user.union_code
    if code is None and user.student_id is not None:
        code = db.session.scalar(select(Student.union_code).where(Student.id == user.student_id))
    if code is None and user.enterprise_id is not None:
        code = db.session.scalar(
            select(Enterprise.union_code).where(Enterprise.id == user.enterprise_id)
        )
    return db.session.scalar(select(Union.path).where(Union.code == code)) if code else None
