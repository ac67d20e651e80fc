"""The audit log as people read it: actions and objects in words, objects by name with
a link, and each changed field as 字段：修改前 → 修改后 (never raw JSON or codes)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import clock
from ..agreements.models import Agreement
from ..audit import AuditEntry
from ..auth.models import User
from ..checkin.models import ServiceSession
from ..enterprises.models import Enterprise, Site
from ..extensions import db
from ..students.models import Student
from ..ui.words import flag_word, status_word
from ..unions.models import Union
from .audit_words import (  # noqa: F401  (ACTION_WORDS: read by the tests)
    ACTION_WORDS,
    CATEGORY_WORDS,
    CODE_FIELDS,
    ENTITY_WORDS,
    FIELD_WORDS,
    HIDDEN_FIELDS,
    KIND_WORDS,
    MINUTE_FIELDS,
    ROLE_WORDS,
)

_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


@dataclass
class Change:
    """One field of an entry: its words and the values before and after, as text."""

    label: str
    before: str
    after: str
    is_code: bool = False


@dataclass
class Row:
    """One audit entry ready for the page."""

    at: datetime
    actor: str
    action: str
    entity: str
    object_name: str
    object_url: str | None
    changes: list[Change] = field(default_factory=list)
    shows_before: bool = False  # a change of an existing object, not a creation


class _Names:
    """Names of the objects a page of entries mentions, loaded once per kind."""

    def __init__(self, entries: list[AuditEntry]) -> None:
        ids: dict[str, set[int]] = {}
        codes: set[str] = set()

        def want(kind: str, value: Any) -> None:
            if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
                ids.setdefault(kind, set()).add(int(value))

        for e in entries:
            want("user", e.actor_id)
            if e.entity in ("student", "enterprise", "site", "agreement", "session", "user"):
                want(e.entity, e.entity_id)
            for values in (e.before, e.after):
                if isinstance(values, dict):
                    for key in ("student_id", "enterprise_id", "site_id"):
                        want(key[:-3], values.get(key))
                    if isinstance(values.get("union_code"), str):
                        codes.add(values["union_code"])
            if e.entity == "month":
                codes.add(e.entity_id.split("/")[0])
        self.sessions = self._rows(
            select(ServiceSession.id, ServiceSession.check_in_at, ServiceSession.student_id).where(
                ServiceSession.id.in_(ids.get("session", ()))
            ),
        )
        self.agreements = self._rows(
            select(Agreement.id, Agreement.student_id, Agreement.enterprise_id).where(
                Agreement.id.in_(ids.get("agreement", ()))
            )
        )
        students = ids.get("student", set())
        enterprises = ids.get("enterprise", set())
        for _id, _at, student_id in self.sessions.values():
            students.add(student_id)
        for _id, student_id, enterprise_id in self.agreements.values():
            students.add(student_id)
            enterprises.add(enterprise_id)
        self.students = self._names(Student, students)
        self.enterprises = self._names(Enterprise, enterprises)
        self.sites = self._names(Site, ids.get("site", ()))
        self.users = self._names(User, ids.get("user", ()))
        self.unions = dict(
            db.session.execute(select(Union.code, Union.name).where(Union.code.in_(codes))).all()
        )

    @staticmethod
    def _rows(stmt) -> dict[int, tuple]:
        return {row[0]: tuple(row) for row in db.session.execute(stmt).all()}

    @staticmethod
    def _names(model, wanted) -> dict[int, str]:
        if not wanted:
            return {}
        stmt = select(model.id, model.name).where(model.id.in_(wanted))
        return dict(db.session.execute(stmt).all())


def describe(entries: list[AuditEntry]) -> list[Row]:
    """Turn a page of entries into rows of words (a fixed number of queries)."""
    names = _Names(entries)
    return [_row(e, names) for e in entries]


def action_word(action: str) -> str:
    """The words for an action code (a generic word for one not known yet)."""
    return str(ACTION_WORDS.get(action, _l("变更")))


def entity_word(entity: str) -> str:
    """The words for an object type."""
    return str(ENTITY_WORDS.get(entity, _l("其他")))


def _row(e: AuditEntry, names: _Names) -> Row:
    name, url = _object(e, names)
    return Row(
        at=e.at,
        actor=names.users.get(e.actor_id) or str(_l("系统")),
        action=action_word(e.action),
        entity=entity_word(e.entity),
        object_name=name,
        object_url=url,
        changes=_changes(e.before, e.after, names),
        shows_before=bool(e.before),
    )


def _int(value: str) -> int | None:
    return int(value) if value.isdigit() else None


def _object(e: AuditEntry, names: _Names) -> tuple[str, str | None]:
    """Name and link of the entry's object (no link where no page shows it)."""
    key = _int(e.entity_id)
    if e.entity == "student" and key in names.students:
        return names.students[key], url_for("students.detail", student_id=key)
    if e.entity == "enterprise" and key in names.enterprises:
        return names.enterprises[key], url_for("enterprises.detail", enterprise_id=key)
    if e.entity == "site" and key in names.sites:
        return names.sites[key], None
    if e.entity == "user" and key in names.users:
        return names.users[key], None
    if e.entity == "agreement" and key in names.agreements:
        _id, student_id, enterprise_id = names.agreements[key]
        title = f"{names.students.get(student_id, '')} · {names.enterprises.get(enterprise_id, '')}"
        return title, url_for("agreements.detail", agreement_id=key)
    if e.entity == "session" and key in names.sessions:
        _id, at, student_id = names.sessions[key]
        title = f"{names.students.get(student_id, '')} · {clock.to_local(at):%Y-%m-%d}"
        return title, url_for("checkin.session_detail", session_id=key)
    if e.entity == "month" and "/" in e.entity_id:
        code, month = e.entity_id.split("/", 1)
        return f"{names.unions.get(code, code)} · {month}", None
    if e.entity == "calendar":
        return e.entity_id, url_for("calendar.month", month=e.entity_id[:7])
    if e.entity == "report":
        month = e.entity_id.rsplit(":", 1)[-1].split("/")[0] if e.entity_id else ""
        values = e.after or {}
        month = values.get("month", month) if isinstance(values, dict) else month
        return str(_l("%(month)s 报表", month=month)), None
    if e.entity == "student":
        return str(_l("一批学生")), None
    values = e.after if isinstance(e.after, dict) else e.before
    if isinstance(values, dict) and values.get("student_id") in names.students:
        title = names.students[values["student_id"]]
        month = values.get("month") or values.get("from_month")
        return (f"{title} · {month}" if month else title), None
    return str(_l("（已不存在）")), None


def _changes(before: Any, after: Any, names: _Names) -> list[Change]:
    """The fields that differ (all of them for a creation), as words."""
    before = before if isinstance(before, dict) else {}
    after = after if isinstance(after, dict) else {}
    out = []
    order = {key: i for i, key in enumerate(FIELD_WORDS)}
    keys = sorted(dict.fromkeys([*before, *after]), key=lambda k: order.get(k, len(order)))
    for key in keys:
        if key in HIDDEN_FIELDS:
            continue
        old, new = before.get(key), after.get(key)
        if key in before and key in after and old == new:
            continue
        if not before and new in (None, "", []):
            continue  # a new object's empty fields say nothing
        label = str(FIELD_WORDS.get(key, _l("其他")))
        before_text, after_text = _value(key, old, names), _value(key, new, names)
        out.append(Change(label, before_text, after_text, key in CODE_FIELDS))
    return out


def _value(key: str, value: Any, names: _Names) -> str:  # noqa: PLR0911 - one case a line
    """A stored value as people read it."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return str(_l("是") if value else _l("否"))
    if key in MINUTE_FIELDS and isinstance(value, int):
        return str(_l("%(h)s 小时", h=format(value / 60, ".1f")))
    if key == "student_id":
        return names.students.get(value, "—")
    if key == "enterprise_id":
        return names.enterprises.get(value, "—")
    if key == "site_id":
        return names.sites.get(value, "—")
    if key in ("union_code", "parent_code"):
        return names.unions.get(value, str(value))
    if key == "status":
        return status_word(value)
    if key == "role":
        return str(ROLE_WORDS.get(value, value))
    if key == "kind":
        return str(KIND_WORDS.get(value, value))
    if key == "category":
        return str(CATEGORY_WORDS.get(value, value))
    if key == "flags" and isinstance(value, list):
        return "、".join(flag_word(f) for f in value)
    if key == "unions" and isinstance(value, list):
        return "、".join(names.unions.get(c, str(c)) for c in value)
    if isinstance(value, str) and _ISO_TIME.match(value):
        try:
            return clock.to_local(datetime.fromisoformat(value)).strftime("%Y-%m-%d %H:%M")
        except ValueError:
            return value
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{FIELD_WORDS.get(k, k)}：{v}" for k, v in value.items())
    return str(value)
