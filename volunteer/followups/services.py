"""Follow-up use cases (R35): list, read, note, assign, resolve — each audited."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import aliased

from .. import audit, clock, events
from ..auth import scope
from ..auth.models import User
from ..auth.services import commit_or_conflict
from ..calendar.services import parse_month_arg
from ..errors import N_, Forbidden, ValidationError
from ..extensions import db
from ..students.models import Student
from ..unions.models import Union
from . import rules
from .models import FollowUp, FollowUpNote

Assignee = aliased(User)


def _require_union_staff(actor: User) -> None:
    if actor.role != "union_staff":
        raise Forbidden()


def in_scope(actor: User) -> Select:
    """Select the cases of the actor's subtree."""
    return select(FollowUp).where(scope.in_subtree(actor, FollowUp.union_code))


def list_query(
    actor: User,
    *,
    union_code: str | None = None,
    month: str | None = None,
    status: str | None = None,
    assignee_id: int | None = None,
) -> Select:
    """Select (case, student name, assignee name) in scope, filtered, newest month first."""
    _require_union_staff(actor)
    stmt = (
        select(FollowUp, Student.name, Assignee.name)
        .join(Student, Student.id == FollowUp.student_id)
        .outerjoin(Assignee, Assignee.id == FollowUp.assignee_id)
        .where(scope.in_subtree(actor, FollowUp.union_code))
    )
    if union_code:
        union = scope.get_or_404(scope.unions(actor), Union, union_code)
        codes = select(Union.code).where(Union.path.startswith(union.path, autoescape=True))
        stmt = stmt.where(FollowUp.union_code.in_(codes))
    if month:
        stmt = stmt.where(FollowUp.month == parse_month_arg(month))
    if status:
        if status not in rules.STATUSES and status != "active":
            raise ValidationError.field("status", N_("未知状态。"))
        wanted = rules.ACTIVE if status == "active" else (status,)
        stmt = stmt.where(FollowUp.status.in_(wanted))
    if assignee_id:
        stmt = stmt.where(FollowUp.assignee_id == assignee_id)
    return stmt.order_by(FollowUp.month.desc(), FollowUp.status, FollowUp.id)


def notes_of(case_ids: Sequence[int]) -> dict[int, list[dict]]:
    """Return the notes of several cases, oldest first: one query."""
    out: dict[int, list[dict]] = defaultdict(list)
    if not case_ids:
        return out
    rows = db.session.execute(
        select(FollowUpNote, User.name)
        .join(User, User.id == FollowUpNote.author_id)
        .where(FollowUpNote.followup_id.in_(list(case_ids)))
        .order_by(FollowUpNote.created_at, FollowUpNote.id)
    )
    for note, name in rows:
        out[note.followup_id].append(
            {"at": clock.to_local(note.created_at).isoformat(), "by": name, "text": note.text}
        )
    return out


def case_dict(case: FollowUp, student_name: str, assignee_name: str | None, notes: list) -> dict:
    """Serialise as the API's FollowUp object."""
    return {
        "id": case.id,
        "student_id": case.student_id,
        "student_name": student_name,
        "union_code": case.union_code,
        "month": case.month,
        "status": case.status,
        "assignee_id": case.assignee_id,
        "assignee_name": assignee_name,
        "outcome": case.outcome,
        "notes": notes,
        "created_at": clock.to_local(case.created_at).isoformat(),
        "resolved_at": clock.to_local(case.resolved_at).isoformat() if case.resolved_at else None,
    }


def serialise_rows(rows: Sequence) -> list[dict]:
    """Serialise (case, student name, assignee name) rows with their notes."""
    notes = notes_of([r[0].id for r in rows])
    return [case_dict(c, s, a, notes.get(c.id, [])) for c, s, a in rows]


def get_case(actor: User, case_id: object) -> dict:
    """Return one case in scope as a dict (404 outside it)."""
    _require_union_staff(actor)
    case = scope.get_or_404(in_scope(actor), FollowUp, case_id)
    return _dict_of(case)


def _dict_of(case: FollowUp) -> dict:
    student_name = db.session.scalar(select(Student.name).where(Student.id == case.student_id))
    assignee = db.session.get(User, case.assignee_id) if case.assignee_id else None
    out = case_dict(
        case, student_name or "", assignee.name if assignee else None, notes_of([case.id])[case.id]
    )
    out["union_name"] = db.session.scalar(select(Union.name).where(Union.code == case.union_code))
    return out


def _load(actor: User, case_id: object) -> FollowUp:
    _require_union_staff(actor)
    return scope.get_or_404(in_scope(actor), FollowUp, case_id)


def _audit(actor: User, action: str, case: FollowUp, before: dict, after: dict) -> None:
    audit.record(
        actor,
        action,
        "followup",
        case.id,
        before=before,
        after=after,
        union_path=db.session.scalar(select(Union.path).where(Union.code == case.union_code)),
    )


def add_note(actor: User, case_id: object, text: object, now: datetime | None = None) -> dict:
    """Add a note; an open case becomes `contacted`; audited; commits."""
    case = _load(actor, case_id)
    body = rules.clean_note(text)
    status = rules.status_after_note(case.status)
    now = now or clock.now()
    before = {"status": case.status}
    note = FollowUpNote(followup_id=case.id, author_id=actor.id, text=body, created_at=now)
    db.session.add(note)
    case.status, case.updated_at = status, now
    _audit(actor, "noted", case, before, {"status": status, "note": body})
    commit_or_conflict()
    return _dict_of(case)


def assign(actor: User, case_id: object, user_id: object, now: datetime | None = None) -> dict:
    """Assign a case to a union officer who can see it; notifies them; audited; commits."""
    case = _load(actor, case_id)
    assignee = _assignable(actor, case, user_id)
    now = now or clock.now()
    before = {"assignee_id": case.assignee_id}
    case.assignee_id, case.updated_at = assignee.id, now
    _audit(actor, "assigned", case, before, {"assignee_id": assignee.id})
    if assignee.id != actor.id:
        db.session.flush()
        student_name = db.session.scalar(select(Student.name).where(Student.id == case.student_id))
        events.followup_assigned.send(
            case.id,
            assignee_id=assignee.id,
            student_name=student_name or "",
            month=case.month,
            actor=actor,
        )
    commit_or_conflict()
    return _dict_of(case)


def _assignable(actor: User, case: FollowUp, user_id: object) -> User:
    """The assignee must be an active officer of the actor's subtree who sees the case."""
    if isinstance(user_id, bool) or not isinstance(user_id, int):
        raise ValidationError.field("user_id", N_("应为整数。"))
    user = db.session.scalars(
        scope.users(actor).where(User.id == user_id, User.role == "union_staff").limit(1)
    ).first()
    case_path = db.session.scalar(select(Union.path).where(Union.code == case.union_code)) or ""
    user_path = (
        db.session.scalar(select(Union.path).where(Union.code == user.union_code)) if user else None
    )
    if user is None or not user.is_enabled or not user_path or not case_path.startswith(user_path):
        raise ValidationError.field("user_id", N_("只能指派给能看到该学生的工会工作人员。"))
    return user


def resolve(
    actor: User, case_id: object, outcome: object, note: object, now: datetime | None = None
) -> dict:
    """Resolve a case with an outcome and a note; audited; commits."""
    case = _load(actor, case_id)
    rules.check_resolvable(case.status)
    outcome = rules.check_outcome(outcome)
    body = rules.clean_note(note, "note")
    now = now or clock.now()
    before = {"status": case.status}
    db.session.add(FollowUpNote(followup_id=case.id, author_id=actor.id, text=body, created_at=now))
    case.status, case.outcome, case.resolved_at, case.updated_at = "resolved", outcome, now, now
    _audit(
        actor, "resolved", case, before, {"status": "resolved", "outcome": outcome, "note": body}
    )
    commit_or_conflict()
    return _dict_of(case)


def active_count(actor: User, cap: int | None = None) -> int:
    """Count the cases of the actor's subtree still to work (the dashboard tile), up to
    `cap` + 1 when given: a tile that says "more than `cap`" need not count them all."""
    if actor.role != "union_staff":
        return 0
    cases = select(FollowUp.id).where(
        scope.in_subtree(actor, FollowUp.union_code), FollowUp.status.in_(rules.ACTIVE)
    )
    if cap is not None:
        cases = cases.limit(cap + 1)
    return db.session.scalar(select(func.count()).select_from(cases.subquery())) or 0


def assignable_staff(actor: User) -> list[User]:
    """Return the union officers of the actor's subtree (the assign form's choices)."""
    return list(
        db.session.scalars(
            scope.users(actor)
            .where(User.role == "union_staff", User.is_enabled.is_(True))
            .order_by(User.union_code, User.name)
        )
    )
