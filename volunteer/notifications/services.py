"""Writing to inboxes and the outbox, reading them, and each person's preferences."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app, has_request_context, request, url_for
from sqlalchemy import Integer, Select, String, delete, func, insert, literal, select, update

from .. import audit, clock
from ..auth import scope
from ..auth.models import User
from ..dbtypes import UTCDateTime
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


def _insert_ignoring_duplicates(rows: list[dict]) -> None:
    """Insert notifications, skipping (key, user) pairs already there (a racing rerun)."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    # No RETURNING: a plain executemany is three times faster at province scale.
    stmt = dialect_insert(Notification).on_conflict_do_nothing(
        index_elements=["dedupe_key", "user_id"]
    )
    db.session.execute(stmt, rows)


def notify(messages: Sequence[Message], now: datetime | None = None) -> int:
    """Write notifications and their outbox rows (no commit); return how many were new.

    Set-based: a few statements per 2,000 messages whatever their number, so that the
    reminders of a whole province fit in one run.
    """
    now = now or clock.now()
    messages = _not_yet_sent(messages)
    for start in range(0, len(messages), _BATCH):
        chunk = messages[start : start + _BATCH]
        marker = db.session.scalar(select(func.max(Notification.id))) or 0
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
        _insert_ignoring_duplicates(rows)
        _enqueue_deliveries(marker, sorted({m.user_id for m in chunk}), now)
    return len(messages)


def _not_yet_sent(messages: Sequence[Message]) -> Sequence[Message]:
    """Drop the keyed messages their users already have (a rerun composes nothing)."""
    keys = {m.dedupe_key for m in messages if m.dedupe_key}
    if not keys:
        return messages
    have: set[tuple[str, int]] = set()
    ordered = sorted(keys)
    for start in range(0, len(ordered), 500):
        rows = db.session.execute(
            select(Notification.dedupe_key, Notification.user_id).where(
                Notification.dedupe_key.in_(ordered[start : start + 500])
            )
        )
        have.update(rows.tuples())
    # Two equal messages in one batch count once (the insert would skip the second).
    out, seen = [], set()
    for m in messages:
        mark = (m.dedupe_key, m.user_id)
        if m.dedupe_key and (mark in have or mark in seen):
            continue
        seen.add(mark)
        out.append(m)
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


_DELIVERY_COLUMNS = (
    "notification_id",
    "user_id",
    "channel",
    "address",
    "status",
    "attempts",
    "next_attempt_at",
    "created_at",
)


def _enqueue_deliveries(marker: int, user_ids: list[int], now: datetime) -> None:
    """Queue email and SMS for the notifications just written, inside the database:
    email to users with an address, SMS to students' phones (INSERT … SELECT)."""
    channels = enabled_channels()
    if not channels or not user_ids:
        return
    due = rules.after_quiet_hours(clock.to_local(now))
    for channel in channels:
        address = User.email if channel == "email" else Student.phone
        queued = (
            select(Delivery.id)
            .where(Delivery.notification_id == Notification.id, Delivery.channel == channel)
            .exists()
        )
        stmt = (
            select(
                Notification.id,
                Notification.user_id,
                literal(channel, String()),
                address,
                literal("pending", String()),
                literal(0, Integer()),
                literal(due, UTCDateTime()),
                literal(now, UTCDateTime()),
            )
            .join(User, User.id == Notification.user_id)
            .where(
                Notification.id > marker,
                Notification.created_at == now,
                Notification.user_id.in_(user_ids),
                User.is_enabled.is_(True),
                address.is_not(None),
                address != "",
                ~queued,
            )
        )
        if channel == "sms":
            stmt = stmt.join(Student, Student.id == User.student_id)
        db.session.execute(insert(Delivery).from_select(_DELIVERY_COLUMNS, stmt))
    if has_request_context():
        request.outbox_written = True  # type: ignore[attr-defined]


def outbox_written() -> bool:
    """Tell whether this request queued email or SMS (the web layer then starts a job)."""
    return has_request_context() and bool(getattr(request, "outbox_written", False))


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
