"""The scan's one read after the student's lock: the open session, whether the code was
already used (R11), the audit paths and, for a scan sent later (R41), whether a recorded
session ends after it. Statements built once: the hot path (bench/README.md)."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta

from sqlalchemy import Exists, Select, bindparam, select

from ..enterprises.models import Site
from ..extensions import db
from ..students.models import Student
from . import rules, sessions, tokens
from .attempts import SUCCESS_RESULTS
from .models import ScanAttempt, ServiceSession, TokenUse


def token_used(kind: str) -> Exists:
    """Filter: this token was already used by the student at the site (R11 token_reused);
    parameters student_id, site_id and step (rotating) or since (poster)."""
    student_id, site_id = bindparam("student_id"), bindparam("site_id")
    if kind != tokens.POSTER:
        return (
            select(TokenUse.id)
            .where(
                TokenUse.student_id == student_id,
                TokenUse.site_id == site_id,
                TokenUse.step == bindparam("step"),
            )
            .exists()
        )
    return (
        select(ScanAttempt.id)
        .where(
            ScanAttempt.student_id == student_id,
            ScanAttempt.site_id == site_id,
            ScanAttempt.token_kind == tokens.POSTER,
            ScanAttempt.result.in_(SUCCESS_RESULTS),
            ScanAttempt.at > bindparam("since", type_=ScanAttempt.at.type),
        )
        .exists()
    )


def _ended_after() -> Exists:
    """Filter: the student has a closed session ending after `at` (a scan sent later
    may not check in inside, or before, a session already recorded)."""
    return (
        select(ServiceSession.id)
        .where(
            ServiceSession.student_id == bindparam("student_id"),
            ServiceSession.status != "open",
            ServiceSession.check_out_at > bindparam("at", type_=ServiceSession.check_out_at.type),
        )
        .exists()
    )


@functools.cache
def _open_session_stmt(kind: str, late: bool = False) -> Select:
    """The scan's read after the lock, built once per token kind (its construction and
    cache key cost more than PostgreSQL's work on the hot path; bench/README.md)."""
    student_id = bindparam("student_id")
    return (
        select(
            ServiceSession,
            token_used(kind),
            *sessions.audit_paths_columns(student_id, bindparam("enterprise_id")),
            *((_ended_after(),) if late else ()),
        )
        .select_from(Student)
        .outerjoin(
            ServiceSession,
            (ServiceSession.student_id == Student.id) & (ServiceSession.status == "open"),
        )
        .where(Student.id == student_id)
        # Fresh values: another request may have changed the session since it was loaded.
        .execution_options(populate_existing=True)
    )


def open_session_and_use(
    student_id: int, site: Site, parsed: tokens.ParsedToken, now: datetime, late: bool = False
) -> tuple[ServiceSession | None, bool, dict[str, str | None] | None, bool]:
    """Return the student's open session (R13 stored on it if past the cap), whether
    the token was already used, the audit paths of the student and the site's
    enterprise, and (for a scan sent later) whether a closed session of the student
    ends after `now` — one read; the caller holds the student's lock."""
    params = {"student_id": student_id, "site_id": site.id, "enterprise_id": site.enterprise_id}
    if parsed.rotates:
        params["step"] = parsed.step
    else:
        params["since"] = now - timedelta(seconds=rules.POSTER_REUSE_SECONDS)
    if late:
        params["at"] = now
    row = db.session.execute(_open_session_stmt(parsed.kind, late), params).one()
    open_s, used = row[0], bool(row[1])
    ended_after = late and bool(row[4])
    paths = {"union_path": row[2], "other_union_path": row[3]}
    if open_s is not None and open_s.enterprise_id != site.enterprise_id:
        # The audit entry names the session's own enterprise (a refusal follows anyway).
        paths = None
    if open_s is not None and sessions.auto_close_if_stale(
        open_s, now, sessions.max_session_hours()
    ):
        open_s = None
    return open_s, used, paths, ended_after
