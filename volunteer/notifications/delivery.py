"""Working the outbox: claim due deliveries, send them, retry with backoff (R34).

A delivery is claimed by pushing its next attempt a lease ahead and committing, so two
workers never send the same message, and a worker that dies mid-send leaves the message
due again once the lease runs out: nothing is lost.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, text, update

from .. import clock
from ..extensions import db
from . import rules
from .channels import DeliveryFailed, channels_for
from .models import Delivery, Notification, NotificationOptOut

LEASE = timedelta(minutes=10)
_CLAIM = 100


@dataclass
class DeliveryStats:
    """What one run of the worker did."""

    sent: int = 0
    failed: int = 0
    retrying: int = 0
    capped: int = 0
    opted_out: int = 0
    deferred_quiet: bool = False
    errors: list[str] = field(default_factory=list)


def _claim(now: datetime, limit: int) -> list[int]:
    ids = list(
        db.session.scalars(
            select(Delivery.id)
            .where(Delivery.status == "pending", Delivery.next_attempt_at <= now)
            .order_by(Delivery.next_attempt_at, Delivery.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if ids:
        db.session.execute(
            update(Delivery)
            .where(Delivery.id.in_(ids))
            .values(attempts=Delivery.attempts + 1, next_attempt_at=now + LEASE)
        )
    db.session.commit()
    return ids


def _sent_today(user_ids: set[int], now: datetime) -> Counter:
    local = clock.to_local(now)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    rows = db.session.execute(
        select(Delivery.user_id, func.count(Delivery.id))
        .where(
            Delivery.user_id.in_(user_ids),
            Delivery.status == "sent",
            Delivery.sent_at >= midnight,
        )
        .group_by(Delivery.user_id)
    )
    return Counter(dict(rows.all()))


def _text(note: Notification) -> tuple[str, str]:
    base = (current_app.config.get("BASE_URL") or "").rstrip("/")
    link = f"\n{base}{note.link}" if note.link else ""
    return note.title, f"{note.body}{link}"


def deliver_due(now: datetime | None = None, limit: int = 1000) -> DeliveryStats:
    """Send up to `limit` due deliveries; commits after each one."""
    now = now or clock.now()
    stats = DeliveryStats()
    if rules.in_quiet_hours(clock.to_local(now)):
        # Nobody is woken up: the messages wait in the outbox until 08:00.
        stats.deferred_quiet = True
        return stats
    channels = channels_for(current_app.config)
    cap = int(current_app.config.get("NOTIFY_DAILY_CAP", 5))
    done = 0
    while done < limit:
        ids = _claim(now, min(_CLAIM, limit - done))
        if not ids:
            break
        done += len(ids)
        rows = db.session.execute(
            select(Delivery, Notification)
            .join(Notification, Notification.id == Delivery.notification_id)
            .where(Delivery.id.in_(ids))
            .order_by(Delivery.id)
        ).all()
        users = {d.user_id for d, _ in rows}
        opted = set(
            db.session.execute(
                select(NotificationOptOut.user_id, NotificationOptOut.kind).where(
                    NotificationOptOut.user_id.in_(users)
                )
            ).tuples()
        )
        sent_today = _sent_today(users, now)
        for delivery, note in rows:
            _work_one(delivery, note, channels, opted, sent_today, cap, now, stats)
            _relaxed_commit()
    return stats


def _work_one(delivery, note, channels, opted, sent_today, cap, now, stats) -> None:
    if (delivery.user_id, note.kind) in opted:
        delivery.status = "opted_out"
        stats.opted_out += 1
        return
    if sent_today[delivery.user_id] >= cap:
        # The inbox keeps the message; a person is not sent more than `cap` a day.
        delivery.status = "capped"
        stats.capped += 1
        return
    channel = channels.get(delivery.channel)
    try:
        if channel is None:
            raise DeliveryFailed(f"{delivery.channel} is not configured")
        subject, text = _text(note)
        channel.send(delivery.address, subject, text)
    except DeliveryFailed as exc:
        delivery.last_error = str(exc)[:300]
        stats.errors.append(delivery.last_error)
        if delivery.attempts >= rules.MAX_ATTEMPTS:
            delivery.status = "failed"
            stats.failed += 1
        else:
            retry_at = rules.after_quiet_hours(
                clock.to_local(now + rules.retry_delay(delivery.attempts))
            )
            delivery.next_attempt_at = retry_at
            stats.retrying += 1
        return
    delivery.status, delivery.sent_at, delivery.last_error = "sent", now, None
    sent_today[delivery.user_id] += 1
    stats.sent += 1


def deliver_job(limit: int = 500) -> dict:
    """The background job's body: work the outbox once, report what was done."""
    stats = deliver_due(limit=limit)
    return {
        "sent": stats.sent,
        "retrying": stats.retrying,
        "failed": stats.failed,
        "capped": stats.capped,
        "opted_out": stats.opted_out,
        "quiet_hours": stats.deferred_quiet,
    }


def _relaxed_commit() -> None:
    """Commit one delivery's outcome without waiting for the disk on PostgreSQL: a crash
    could only forget that a message went out (it would go again), never lose one."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL synchronous_commit TO OFF"))
    db.session.commit()


def pending_count() -> int:
    """Count the deliveries still waiting in the outbox."""
    return db.session.scalar(select(func.count(Delivery.id)).where(Delivery.status == "pending"))
