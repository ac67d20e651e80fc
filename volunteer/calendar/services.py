"""Use cases of the allowed-day calendar (R3): month views and province-wide overrides."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import func, select

from .. import audit, clock, events
from ..auth.models import User
from ..auth.services import commit_or_conflict
from ..errors import N_, Forbidden, NotFound, ValidationError
from ..extensions import db
from ..periods import guard
from ..unions.models import Union
from .models import CalendarOverride
from .rules import (
    MonthCalendar,
    is_year_covered,
    month_bounds,
    month_of,
    official_kind,
    parse_kind,
    parse_month,
)

_DAY_RE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
# Years outside this window are typing mistakes, not calendars anyone plans.
MIN_YEAR, MAX_YEAR = 2000, 2100
MAX_NAME = 100
MAX_REASON = 1000


def parse_day(value: object, field: str = "date") -> date:
    """Validate a date written YYYY-MM-DD (years 2000–2100) and return it."""
    reason = N_("日期格式应为 YYYY-MM-DD，例如 2026-10-10。")
    if not isinstance(value, str) or not _DAY_RE.fullmatch(value):
        raise ValidationError.field(field, reason)
    try:
        day = date.fromisoformat(value)
    except ValueError as exc:
        raise ValidationError.field(field, reason) from exc
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise ValidationError.field(
            field, N_("年份应在 %(low)s–%(high)s 之间。", low=MIN_YEAR, high=MAX_YEAR)
        )
    return day


def parse_month_arg(value: object, field: str = "month") -> str:
    """Validate a YYYY-MM month (years 2000–2100) from a request and return it."""
    try:
        month = parse_month(value)
    except ValidationError as exc:
        raise ValidationError.field(field, exc.message) from exc
    if not MIN_YEAR <= int(month[:4]) <= MAX_YEAR:
        raise ValidationError.field(
            field, N_("年份应在 %(low)s–%(high)s 之间。", low=MIN_YEAR, high=MAX_YEAR)
        )
    return month


def load_overrides(first: date, last: date) -> dict[date, str]:
    """Return the overrides between two dates (inclusive) as {day: kind}: one query."""
    rows = db.session.execute(
        select(CalendarOverride.day, CalendarOverride.kind).where(
            CalendarOverride.day >= first, CalendarOverride.day <= last
        )
    )
    return {day: kind for day, kind in rows}


def calendars_for(months: Iterable[str]) -> dict[str, MonthCalendar]:
    """Build the calendars of several YYYY-MM months with one query for their overrides."""
    months = sorted(set(months))
    if not months:
        return {}
    overrides = load_overrides(month_bounds(months[0])[0], month_bounds(months[-1])[1])
    return {m: MonthCalendar.for_month(m, overrides) for m in months}


def month_calendar(month: str) -> MonthCalendar:
    """Build the calendar of one YYYY-MM month."""
    return calendars_for([month])[month]


def month_items(month: str) -> list[dict]:
    """Return the API items of a month: {date, kind, source, name} per day."""
    first, last = month_bounds(month)
    named = dict(
        db.session.execute(
            select(CalendarOverride.day, CalendarOverride.name).where(
                CalendarOverride.day >= first, CalendarOverride.day <= last
            )
        ).all()
    )
    cal = month_calendar(month)
    items = []
    for day, kind, source in cal.days:
        official = official_kind(day)
        name = named.get(day) if source == "override" else None
        items.append(
            {
                "date": day.isoformat(),
                "kind": kind,
                "source": source,
                "name": name or (official[1] if official else None),
            }
        )
    return items


def coverage_warnings(today: date | None = None) -> list[dict]:
    """List this and next year when chinesecalendar lacks them, with their override counts."""
    today = today or clock.today()
    years = [y for y in (today.year, today.year + 1) if not is_year_covered(y)]
    if not years:
        return []
    counts = dict(
        db.session.execute(
            select(func.extract("year", CalendarOverride.day), func.count())
            .where(
                CalendarOverride.day >= date(years[0], 1, 1),
                CalendarOverride.day <= date(years[-1], 12, 31),
            )
            .group_by(func.extract("year", CalendarOverride.day))
        ).all()
    )
    counts = {int(year): n for year, n in counts.items()}
    return [{"year": y, "overrides": counts.get(y, 0)} for y in years]


def is_root_staff(actor: User | None) -> bool:
    """Tell whether the actor is union staff of a root union (may override the calendar)."""
    if actor is None or actor.role != "union_staff" or not actor.union_code:
        return False
    union = db.session.get(Union, actor.union_code)
    return union is not None and union.is_root


def _ensure_root(actor: User | None) -> Union:
    if not is_root_staff(actor):
        raise Forbidden("forbidden", N_("只有省级（根）工会工作人员可以修改日历。"))
    return db.session.get(Union, actor.union_code)


def _clean_text(value: str | None, field: str, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value.strip()) > limit:
        raise ValidationError.field(field, N_("最多 %(n)s 字。", n=limit))
    return value.strip() or None


def set_override(
    actor: User | None,
    day: date | str,
    kind: str,
    name: str | None = None,
    reason: str | None = None,
    *,
    now: datetime | None = None,
) -> CalendarOverride:
    """Declare a date rest or work for the whole province (root union staff only)."""
    union = _ensure_root(actor)
    day = day if isinstance(day, date) else parse_day(day)
    kind = parse_kind(kind)
    name = _clean_text(name, "name", MAX_NAME)
    reason = _clean_text(reason, "override_reason", MAX_REASON)
    guard.ensure_calendar_changeable(actor, [month_of(day)], reason, action="calendar_overridden")
    now = now or clock.now()
    row = db.session.get(CalendarOverride, day)
    before = {"kind": row.kind, "name": row.name} if row else None
    if row is None:
        row = CalendarOverride(
            day=day, kind=kind, name=name, created_by_id=actor.id, created_at=now
        )
        db.session.add(row)
    else:
        row.kind, row.name, row.created_by_id, row.created_at = kind, name, actor.id, now
    db.session.flush()
    events.calendar_changed.send(None, months={month_of(day)}, actor=actor)
    audit.record(
        actor,
        "overridden",
        "calendar",
        day.isoformat(),
        before=before,
        after={"kind": kind, "name": name, "override_reason": reason},
        union_path=union.path,
    )
    commit_or_conflict()
    return row


def delete_override(
    actor: User | None, day: date | str, reason: str | None = None, *, now: datetime | None = None
) -> None:
    """Remove a date's override: the official calendar (or the weekend rule) applies again."""
    union = _ensure_root(actor)
    day = day if isinstance(day, date) else parse_day(day)
    reason = _clean_text(reason, "override_reason", MAX_REASON)
    row = db.session.get(CalendarOverride, day)
    if row is None:
        raise NotFound("not_found", N_("该日期没有覆盖设置。"))
    guard.ensure_calendar_changeable(actor, [month_of(day)], reason, action="calendar_removed")
    before = {"kind": row.kind, "name": row.name}
    db.session.delete(row)
    db.session.flush()
    events.calendar_changed.send(None, months={month_of(day)}, actor=actor)
    audit.record(
        actor,
        "override_removed",
        "calendar",
        day.isoformat(),
        before=before,
        after={"override_reason": reason},
        union_path=union.path,
    )
    commit_or_conflict()


def list_overrides(month: str) -> list[CalendarOverride]:
    """Return the overrides of a month, by date."""
    first, last = month_bounds(month)
    return list(
        db.session.scalars(
            select(CalendarOverride)
            .where(CalendarOverride.day >= first, CalendarOverride.day <= last)
            .order_by(CalendarOverride.day)
        )
    )
