"""Demo data for reports: one certificate for a demo student with confirmed hours."""

from __future__ import annotations

from .. import clock
from ..calendar.rules import months_between
from ..errors import DomainError
from .certificate_access import confirmed_months, student_with_confirmed_hours
from .certificates import issue_for
from .rules import MAX_CERTIFICATE_MONTHS

LOGINS: list[tuple[str, str, str]] = []


def seed() -> None:
    """Issue a volunteer certificate for the first demo student with confirmed hours."""
    student = student_with_confirmed_hours("volunteer")
    if student is None:
        return
    current = clock.current_month()
    months = [m for m in confirmed_months(student.id) if m <= current]
    if not months:
        return
    period = months_between(months[0], months[-1])[-MAX_CERTIFICATE_MONTHS:]
    try:
        issue_for(None, student, period, "volunteer", clock.now())
    except DomainError:
        # Confirmed minutes of another kind only: nothing to certify as volunteering.
        return
