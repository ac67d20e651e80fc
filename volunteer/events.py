"""What happened: signals that lower features send and higher features listen to.

A writer sends after its change is flushed and before it commits; every receiver runs
inside the same transaction (it may add and flush rows, never commit), so a use case still
commits once. Receivers are connected explicitly in `create_app` (see `connect_receivers`
in each reacting feature's `reactions.py`), never at import time.

Each signal's sender and keyword arguments are part of its contract:
"""

from __future__ import annotations

from typing import Any

from blinker import NamedSignal, Namespace

_events = Namespace()

#: A student's minutes or requirement may have changed in these months.
#: sender: student_id (int); months: set[str] of "YYYY-MM"; actor: User | None
hours_changed = _events.signal("hours-changed")

#: The allowed-day calendar changed for every student in these months.
#: sender: None; months: set[str]; actor: User | None
calendar_changed = _events.signal("calendar-changed")

#: A union closed a month for its subtree (stored figures are written and flushed).
#: sender: union_code (str); month: str; actor: User
month_closed = _events.signal("month-closed")

#: A union reopened a month it had closed.
#: sender: union_code (str); month: str; actor: User
month_reopened = _events.signal("month-reopened")

#: An agreement was created, edited or terminated.
#: sender: agreement_id (int); student_id: int; enterprise_id: int; months: set[str];
#: actor: User | None
agreement_changed = _events.signal("agreement-changed")

#: An enterprise's attestation of a month changed status ("current" or "stale").
#: sender: enterprise_id (int); month: str; status: str; actor: User | None
attestation_changed = _events.signal("attestation-changed")

#: A scan was recorded (check-in or check-out).
#: sender: session_id (int); student_id: int; enterprise_id: int; action: str;
#: device_id: str | None; at: datetime
scan_recorded = _events.signal("scan-recorded")

#: Raw coordinates and device ids older than `cutoff` were deleted (R28); whoever keeps
#: copies of them deletes theirs too.
#: sender: cutoff (datetime)
locations_purged = _events.signal("locations-purged")

#: R13 closed a session that was left open.
#: sender: session_id (int); student_id: int; enterprise_id: int
session_auto_closed = _events.signal("session-auto-closed")

#: An enterprise (or the union) decided a student's correction request.
#: sender: correction_id (int); student_id: int; outcome: str
correction_decided = _events.signal("correction-decided")

#: A student's profile changed (e.g. moved to another union).
#: sender: student_id (int); fields: set[str] of the changed fields; actor: User | None
student_updated = _events.signal("student-updated")

#: A certificate was superseded because the hours it states changed.
#: sender: certificate_id (int); student_id: int
certificate_superseded = _events.signal("certificate-superseded")

#: A union officer was given a follow-up case to work (R35).
#: sender: followup_id (int); assignee_id: int; student_name: str; month: str; actor: User
followup_assigned = _events.signal("followup-assigned")


# --- Questions: a lower feature asks, the higher feature that knows answers ----------------
# Unlike the events above, a receiver's return value is the answer. `ask` returns the one
# answer and fails loudly when no feature (or more than one) answers: a missing answer is
# a bug, never a silent zero.

#: Students holding a place at each enterprise on the busiest day of [from_on, to_on] (R6).
#: sender: None; enterprise_ids: list[int]; from_on: date; to_on: date
#: answer: {enterprise_id: students} (an enterprise with none is absent)
places_taken = _events.signal("places-taken")

#: The agreements the actor may read, with names, for an enterprise's pages, newest first.
#: sender: actor (User); enterprise_id: int | None; status: str | None; today: date | None;
#: limit: int | None
#: answer: rows (agreement, student name, university, enterprise name)
enterprise_agreements = _events.signal("enterprise-agreements")


def ask(question: NamedSignal, sender: Any = None, **kwargs: Any) -> Any:
    """Return the one answer to `question` (see above); RuntimeError when not exactly one."""
    answers = [value for _receiver, value in question.send(sender, **kwargs)]
    if len(answers) != 1:
        raise RuntimeError(f"{question.name}: {len(answers)} answers, expected one")
    return answers[0]


def months_set(months) -> set[str]:
    """Return `months` as a set of month strings (a single string counts as one month)."""
    if isinstance(months, str):
        return {months}
    return set(months or ())
