"""Compliance use cases (R18–R21): month rows for the pages and the API, exemptions,
month close. The computations live in monthrows.py, groups.py and closing.py; this
module is the door the views, the API and other features use."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Select, select

from .. import audit, clock
from ..auth import scope
from ..auth.models import User
from ..auth.services import commit_or_conflict
from ..calendar.rules import month_bounds, month_of
from ..calendar.services import coverage_warnings, parse_month_arg
from ..enterprises.models import Enterprise
from ..errors import Conflict, Forbidden, NotFound, ValidationError
from ..extensions import db
from ..students.models import Student
from ..unions.models import Union
from ..unions.services import union_path
from . import locks
from .closing import (  # noqa: F401  (re-exported for other features)
    CloseState,
    close_month,
    close_state,
    covering_closes,
    note_month_change,
    refresh_month_figures,
    refresh_stored_figures,
    reopen_month,
)
from .groups import (  # noqa: F401
    GroupFigures,
    enterprise_groups,
    rate_history,
    subtree_student_ids,
    summary_by_enterprise,
    summary_by_union,
    union_groups,
)
from .models import Exemption
from .monthrows import (  # noqa: F401
    MonthRow,
    compute_month_rows,
    compute_rows_by_month,
    enterprise_month_students,
    summary,
)
from .rules import STATUSES

MAX_EXEMPT_MINUTES = 240 * 60
MAX_REASON = 1000
# Worst first: the order lists are shown in.
SEVERITY = ("missed", "at_risk", "on_track", "awaiting_confirmation", "met", "exempt",
            "not_required")  # fmt: skip


def parse_status(value: str | None) -> str | None:
    """Validate an optional status filter."""
    if value in (None, ""):
        return None
    if value not in STATUSES:
        raise ValidationError.field("status", "状态取值无效。")
    return value


def by_severity(rows: list[MonthRow]) -> list[MonthRow]:
    """Sort rows worst status first, then by most hours needed, then by name."""
    rank = {s: i for i, s in enumerate(SEVERITY)}
    return sorted(rows, key=lambda r: (rank.get(r.status, 99), -r.needed_minutes,
                                       r.student_name, r.student_id))  # fmt: skip


def scoped_student_ids(
    actor: User, month: str, *, union_code: str | None = None, enterprise_id: int | None = None
) -> Select:
    """Select the ids of the students whose months the actor may read, with filters."""
    if actor.role == "union_staff":
        ids = select(Student.id).where(scope.in_subtree(actor, Student.union_code))
        if enterprise_id is not None:
            scope.get_or_404(scope.enterprises(actor), Enterprise, enterprise_id)
    elif actor.role == "enterprise_staff":
        if enterprise_id is not None and enterprise_id != actor.enterprise_id:
            raise NotFound()
        enterprise_id = actor.enterprise_id
        ids = select(Student.id)
    else:
        raise Forbidden()
    if union_code:
        union = (
            scope.get_or_404(scope.unions(actor), Union, union_code)
            if actor.role == "union_staff"
            else db.session.get(Union, union_code)
        )
        if union is None:
            raise NotFound()
        ids = ids.where(Student.id.in_(subtree_student_ids(union)))
    if enterprise_id is not None:
        ids = ids.where(Student.id.in_(enterprise_month_students(enterprise_id, month)))
    return ids


def list_compliance(
    actor: User,
    month: str,
    *,
    union_code: str | None = None,
    enterprise_id: int | None = None,
    status: str | None = None,
    today: date | None = None,
) -> tuple[list[MonthRow], dict]:
    """Return the month rows in scope (filtered by status) and the summary before it."""
    # Scope first (404), then the arguments (400): API.md's order of answers.
    ids = scoped_student_ids(actor, month, union_code=union_code, enterprise_id=enterprise_id)
    month = parse_month_arg(month)
    status = parse_status(status)
    rows = compute_month_rows(month, ids, today=today)
    figures = summary(rows)
    if status:
        rows = [r for r in rows if r.status == status]
    return rows, figures


def student_month(
    actor: User, student_id: int, month: str, *, today: date | None = None
) -> MonthRow:
    """Return one student's month row (the student themself, their union or enterprise)."""
    scope.get_or_404(scope.students(actor), Student, student_id)
    month = parse_month_arg(month)
    return compute_month_rows(month, select(Student.id).where(Student.id == student_id),
                              today=today)[0]  # fmt: skip


# --- exemptions ------------------------------------------------------------------------


def student_in_managed_scope(actor: User, student_id: int) -> Student:
    """Load a student the actor's union manages (404 otherwise)."""
    return scope.get_or_404(scope.managed_students(actor), Student, student_id)


def _exemptions_in_scope(actor: User) -> Select:
    managed = select(Student.id).where(scope.in_subtree(actor, Student.union_code))
    return select(Exemption).where(Exemption.student_id.in_(managed))


def exemption_in_scope(actor: User, exemption_id: int) -> Exemption:
    """Load an exemption of a student the actor's union manages (404 otherwise)."""
    return scope.get_or_404(_exemptions_in_scope(actor), Exemption, exemption_id)


def union_in_scope(actor: User, code: str) -> Union:
    """Load a union of the actor's subtree (404 otherwise)."""
    return scope.get_or_404(scope.unions(actor), Union, code)


def _text(value: object, name: str, required: bool) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValidationError.field(name, "必填。")
        return None
    if not isinstance(value, str) or len(value.strip()) > MAX_REASON:
        raise ValidationError.field(name, f"最多 {MAX_REASON} 字。")
    return value.strip()


def _minutes(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError.field("minutes", "应为整数（分钟）。")
    if not 1 <= value <= MAX_EXEMPT_MINUTES:
        raise ValidationError.field("minutes", f"应在 1–{MAX_EXEMPT_MINUTES} 分钟之间。")
    return value


def _ensure_open(actor: User, student_id: int, month: str, override_reason: str | None) -> bool:
    """Refuse a closed month (409 month_closed) unless the student's union gives a reason."""
    if not locks.closed_months(student_id, [month]):
        return False
    if not override_reason:
        raise Conflict(
            "month_closed",
            f"{month} 已结算；如确需修改，请填写结算后修改的理由（override_reason）。",
        )
    return locks.ensure_months_open(actor, student_id, [month], override_reason)


def exemption_dict(exemption: Exemption) -> dict:
    """Serialise an exemption for the API."""
    return {
        "id": exemption.id,
        "student_id": exemption.student_id,
        "month": exemption.month,
        "minutes": exemption.minutes,
        "whole": exemption.minutes is None,
        "reason": exemption.reason,
        "created_at": clock.to_local(exemption.created_at).isoformat(),
        "revoked_at": clock.to_local(exemption.revoked_at).isoformat()
        if exemption.revoked_at
        else None,
    }


def create_exemption(
    actor: User,
    student_id: int,
    month: str,
    reason: str | None,
    minutes: int | None = None,
    *,
    override_reason: str | None = None,
    now: datetime | None = None,
) -> Exemption:
    """Approve an exemption for a student's month (None minutes: the whole requirement)."""
    student = student_in_managed_scope(actor, student_id)
    month = parse_month_arg(month)
    reason = _text(reason, "reason", required=True)
    minutes = _minutes(minutes)
    override_reason = _text(override_reason, "override_reason", required=False)
    overriding = _ensure_open(actor, student.id, month, override_reason)
    exemption = Exemption(student_id=student.id, month=month, minutes=minutes, reason=reason,
                          created_by_id=actor.id, created_at=now or clock.now())  # fmt: skip
    db.session.add(exemption)
    db.session.flush()
    after = exemption_dict(exemption)
    if overriding:
        after["override_reason"] = override_reason
        locks.note_change(student.id, [month])
    audit.record(actor, "created", "exemption", exemption.id, after=after,
                 union_path=union_path(student.union_code))  # fmt: skip
    commit_or_conflict()
    return exemption


def revoke_exemption(
    actor: User,
    exemption_id: int,
    reason: str | None,
    *,
    override_reason: str | None = None,
    now: datetime | None = None,
) -> Exemption:
    """Withdraw an exemption, with a reason (audited)."""
    exemption = exemption_in_scope(actor, exemption_id)
    reason = _text(reason, "reason", required=True)
    override_reason = _text(override_reason, "override_reason", required=False)
    if exemption.revoked_at is not None:
        raise Conflict("invalid_state", "该免除已撤销。")
    overriding = _ensure_open(actor, exemption.student_id, exemption.month, override_reason)
    before = exemption_dict(exemption)
    exemption.revoked_at = now or clock.now()
    db.session.flush()
    if overriding:
        locks.note_change(exemption.student_id, [exemption.month])
    code = db.session.scalar(select(Student.union_code).where(Student.id == exemption.student_id))
    audit.record(actor, "revoked", "exemption", exemption.id, before=before,
                 after={"reason": reason, "override_reason": override_reason},
                 union_path=union_path(code))  # fmt: skip
    commit_or_conflict()
    return exemption


def month_exemptions(student_ids: list[int], month: str) -> list[Exemption]:
    """Return the exemptions (revoked ones included) of some students in a month."""
    if not student_ids:
        return []
    return list(
        db.session.scalars(
            select(Exemption)
            .where(Exemption.student_id.in_(student_ids), Exemption.month == month)
            .order_by(Exemption.created_at)
        )
    )


# --- pages -------------------------------------------------------------------------------


@dataclass
class Dashboard:
    """Everything the union dashboard shows for a month and its filters."""

    month: str
    union: Union
    rows: list[MonthRow]
    summary: dict
    listed: list[MonthRow]
    union_groups: list[GroupFigures]
    enterprise_groups: list[GroupFigures]
    history: list[tuple[str, float | None]]
    coverage: list[dict]
    closed_by: list[str]
    month_over: bool
    unions: list[Union] = field(default_factory=list)
    status: str | None = None
    enterprise_id: int | None = None

    def with_status(self, status: str) -> list[MonthRow]:
        """Return the rows of one status, worst first."""
        return by_severity([r for r in self.rows if r.status == status])

    @property
    def unmatched(self) -> list[MonthRow]:
        """Return the students without any agreement, by name."""
        return sorted((r for r in self.rows if not r.has_agreement),
                      key=lambda r: (r.student_name, r.student_id))  # fmt: skip


def dashboard(
    actor: User,
    month: str | None = None,
    *,
    union_code: str | None = None,
    enterprise_id: int | None = None,
    status: str | None = None,
    today: date | None = None,
) -> Dashboard:
    """Gather the union dashboard: counts, rate, chart data, groups and lists (R19, R24)."""
    if actor.role != "union_staff" or scope.actor_union(actor) is None:
        raise Forbidden()
    today = today or clock.today()
    month = parse_month_arg(month) if month else clock.current_month()
    status = parse_status(status)
    focus = scope.actor_union(actor)
    if union_code:
        focus = scope.get_or_404(scope.unions(actor), Union, union_code)
    focus_ids = subtree_student_ids(focus)
    ids = scoped_student_ids(actor, month, union_code=focus.code, enterprise_id=enterprise_id)
    rows = compute_month_rows(month, ids, today=today)
    listed = by_severity([r for r in rows if status is None or r.status == status])
    return Dashboard(
        month=month,
        union=focus,
        rows=rows,
        summary=summary(rows),
        listed=listed,
        union_groups=union_groups(rows, focus),
        enterprise_groups=enterprise_groups(rows),
        # The chart ends with the month shown (this month for a future one); the
        # month's rows are reused when they cover the same students.
        history=rate_history(
            focus_ids,
            12,
            today,
            last_month=min(month, month_of(today)),
            known=None if enterprise_id else {month: rows},
        ),  # fmt: skip
        coverage=coverage_warnings(today),
        closed_by=covering_closes(focus, month),
        month_over=today > month_bounds(month)[1],
        unions=list(db.session.scalars(scope.unions(actor).order_by(Union.path))),
        status=status,
        enterprise_id=enterprise_id,
    )


def export_list(
    actor: User,
    month: str | None,
    which: str,
    *,
    union_code: str | None = None,
    enterprise_id: int | None = None,
    status: str | None = None,
) -> tuple[str, bytes]:
    """Build an XLSX of one dashboard list; the download is audited (R22)."""
    from . import export

    if which not in export.LISTS:
        raise ValidationError.field("list", "未知的列表。")
    if actor.role == "enterprise_staff":
        month = parse_month_arg(month) if month else clock.current_month()
        rows, _ = list_compliance(actor, month, status=status)
        data = export.build(which, month, rows=by_severity(rows), groups=[])
        path = None
    else:
        board = dashboard(actor, month, union_code=union_code, enterprise_id=enterprise_id,
                          status=status)  # fmt: skip
        month, path = board.month, board.union.path
        data = export.from_dashboard(which, board)
    audit.record(actor, "downloaded", "report", f"compliance/{month}/{which}", union_path=path,
                 after={"list": which, "month": month})  # fmt: skip
    commit_or_conflict()
    return f"compliance-{month}-{which}.xlsx", data


@dataclass
class Progress:
    """One student's month with the enterprises and exemptions behind it."""

    row: MonthRow
    enterprises: list[str]
    exemptions: list[Exemption]


def month_detail(
    actor: User, student_id: int, month: str | None = None, *, today: date | None = None
) -> Progress:
    """Return a student's month row with its enterprises and exemptions (revoked too)."""
    month = parse_month_arg(month) if month else clock.current_month()
    row = student_month(actor, student_id, month, today=today)
    names = []
    if row.enterprise_ids:
        found = dict(
            db.session.execute(
                select(Enterprise.id, Enterprise.name).where(Enterprise.id.in_(row.enterprise_ids))
            ).all()
        )
        names = [found[e] for e in row.enterprise_ids if e in found]
    return Progress(row, names, month_exemptions([row.student_id], month))


def my_progress(actor: User, month: str | None = None, *, today: date | None = None) -> Progress:
    """Return the student's own month (本月进度); revoked exemptions are left out."""
    if actor.role != "student" or actor.student_id is None:
        raise Forbidden()
    progress = month_detail(actor, actor.student_id, month, today=today)
    progress.exemptions = [e for e in progress.exemptions if e.revoked_at is None]
    return progress


def resolve_student(actor: User, student_id: int | None, phone: str | None) -> Student:
    """Find a managed student by id, or by mobile number for a typed-in form (400 if none)."""
    if student_id:
        return student_in_managed_scope(actor, student_id)
    phone = (phone or "").strip()
    if not phone:
        raise ValidationError.field("student", "请填写学生手机号。")
    found = db.session.scalars(
        scope.managed_students(actor).where(Student.phone == phone).limit(2)
    ).all()
    if len(found) != 1:
        reason = "没有找到该手机号的学生。" if not found else "该手机号对应多名学生，请从名单进入。"
        raise ValidationError.field("student", reason)
    return found[0]
