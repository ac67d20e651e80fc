"""Pure rules of follow-up cases (R35): how a case starts, moves and ends."""

from __future__ import annotations

from ..errors import N_, Conflict, ValidationError

STATUSES = ("open", "contacted", "escalated", "resolved")
OUTCOMES = ("illness", "exams", "family", "enterprise", "unreachable", "other")
ACTIVE = ("open", "contacted", "escalated")
STATUS_WORDS = {
    "open": N_("待跟进"),
    "contacted": N_("已联系"),
    "escalated": N_("连续未达标"),
    "resolved": N_("已结案"),
}
OUTCOME_WORDS = {
    "illness": N_("因病"),
    "exams": N_("考试"),
    "family": N_("家庭原因"),
    "enterprise": N_("企业原因"),
    "unreachable": N_("联系不上"),
    "other": N_("其他"),
}
NOTE_MAX = 2000


def initial_status(missed_month_before: bool) -> str:
    """A case opens `escalated` when the student also missed the month before."""
    return "escalated" if missed_month_before else "open"


def status_after_note(status: str) -> str:
    """A note on an open case means someone made contact; otherwise nothing moves."""
    if status == "resolved":
        raise Conflict("invalid_state", N_("该跟进已结案。"))
    return "contacted" if status == "open" else status


def clean_note(value: object, field: str = "text") -> str:
    """Return a note's text, stripped; 400 when empty or too long."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError.field(field, N_("请填写内容。"))
    value = value.strip()
    if len(value) > NOTE_MAX:
        raise ValidationError.field(field, N_("最多 %(n)s 字。", n=NOTE_MAX))
    return value


def check_outcome(value: object) -> str:
    """Return a valid outcome; 400 otherwise."""
    if value not in OUTCOMES:
        raise ValidationError.field("outcome", N_("请选择结案原因。"))
    return str(value)


def check_resolvable(status: str) -> None:
    """Refuse to resolve a case twice (409 invalid_state)."""
    if status == "resolved":
        raise Conflict("invalid_state", N_("该跟进已结案。"))
