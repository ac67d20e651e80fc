"""Use case for matching (R7): rank partner enterprises for a student in a period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .. import clock
from ..auth import scope
from ..auth.models import User
from ..enterprises.models import Enterprise
from ..errors import Forbidden
from ..extensions import db
from ..students.models import Student
from . import queries, rules
from .matching import Candidate, Match, StudentProfile, rank_candidates
from .services import default_period

MAX_SUGGESTIONS = 100


@dataclass(frozen=True)
class Suggestion:
    """One ranked enterprise: the enterprise, its score, reasons and places left."""

    enterprise: Enterprise
    match: Match

    def to_dict(self) -> dict:
        """Serialise as an item of GET /students/{id}/matches."""
        return {
            "enterprise": self.enterprise.to_dict(),
            "score": self.match.score,
            "reasons": list(self.match.reasons),
            "remaining": self.match.remaining,
            "is_full": self.match.is_full,
        }


def suggest_enterprises(
    actor: User,
    student_id: int,
    starts_on: date | None = None,
    ends_on: date | None = None,
    limit: int | None = 20,
) -> list[Suggestion]:
    """Return the province's enterprises ranked for a student in the actor's scope, best first
    (the first `limit`, at most MAX_SUGGESTIONS; None: all of them, for the pages)."""
    if actor.role != "union_staff":
        raise Forbidden()
    student = scope.get_or_404(scope.managed_students(actor), Student, student_id)
    default_start, default_end = default_period(clock.today())
    start = starts_on or default_start
    end = ends_on or (default_end if starts_on is None else max(start, default_end))
    rules.validate_dates(start, end)
    enterprises = list(db.session.scalars(scope.enterprises(actor).order_by(Enterprise.id)))
    # One grouped query for every enterprise's busiest day in the period.
    peaks = queries.peak_in_use(start, end)
    profile = StudentProfile(
        home_city=student.home_city, university_city=student.university_city, major=student.major
    )
    candidates = [
        Candidate(e.id, e.name, e.city, e.industry, e.capacity, peaks.get(e.id, 0))
        for e in enterprises
    ]
    by_id = {e.id: e for e in enterprises}
    ranked = rank_candidates(profile, candidates)
    if limit is not None:
        ranked = ranked[: max(1, min(limit, MAX_SUGGESTIONS))]
    return [Suggestion(by_id[m.enterprise_id], m) for m in ranked]
