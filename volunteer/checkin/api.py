"""JSON routes for QR codes, scanning, sessions and corrections (API.md "QR and scanning")."""

from __future__ import annotations

from typing import Annotated

from flask import Blueprint, jsonify, request
from pydantic import AwareDatetime, Field, StringConstraints

from .. import clock
from ..auth.scope import corrections, current_actor, get_or_404, role_required, sessions
from ..errors import Forbidden
from ..jsonapi import Body, Reason, documented, paginated, parse_body, validate_args
from . import services
from .models import Correction, ServiceSession
from .scan_limits import scan_limits

bp = Blueprint("checkin_api", __name__, url_prefix="/api/v1")

Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]
Id = Annotated[int, Field(gt=0, lt=2**31)]


class ScanBody(Body):
    token: str
    action: Annotated[str, StringConstraints(max_length=20)]
    nonce: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    latitude: float | None = None
    longitude: float | None = None
    accuracy_m: float | None = None
    scanned_at: AwareDatetime | None = None
    offline: bool | None = None
    device_id: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None


class ManualBody(Body):
    student_id: Id
    site_id: Id
    check_in_at: AwareDatetime
    check_out_at: AwareDatetime
    reason: Reason


class IdsBody(Body):
    ids: Annotated[list[Id], Field(min_length=1, max_length=500)]


class ReasonBody(Body):
    reason: Reason


class ConfirmBody(Body):
    # Union staff confirm in a closed or attested month only, with a reason (R30).
    reason: Reason | None = None


class AdjustBody(Body):
    check_in_at: AwareDatetime
    check_out_at: AwareDatetime
    reason: Reason


class CorrectionBody(Body):
    check_in_at: AwareDatetime | None = None
    check_out_at: AwareDatetime | None = None
    note: Reason


class DecisionBody(Body):
    note: Note | None = None


class SessionArgs(Body):
    month: Annotated[str, StringConstraints(max_length=7)] | None = None
    student_id: Id | None = None
    enterprise_id: Id | None = None
    site_id: Id | None = None
    status: Annotated[str, StringConstraints(max_length=80)] | None = None
    flag: Annotated[str, StringConstraints(max_length=30)] | None = None


# --- codes ---------------------------------------------------------------------------


@bp.get("/sites/<int:site_id>/qr")
@documented("The site's current rotating code (what the kiosk QR encodes)")
@role_required("enterprise_staff")
def site_qr(site_id: int):
    return jsonify(
        {
            k: v
            for k, v in services.current_code(current_actor(), site_id).items()
            if k in ("token", "url", "expires_at")
        }
    )


@bp.get("/sites/<int:site_id>/poster")
@documented("The site's printed (non-rotating) code")
@role_required("enterprise_staff")
def site_poster(site_id: int):
    return jsonify(services.printed_code(current_actor(), site_id))


@bp.post("/sites/<int:site_id>/rotate-secret")
@documented(
    "Rotate the site secret: every earlier code of the site stops working",
    responses={200: "Rotated"},
)
@role_required("enterprise_staff", "union_staff")
def rotate_secret(site_id: int):
    site = services.rotate_secret(current_actor(), site_id)
    rotated = clock.to_local(site.secret_rotated_at).isoformat(timespec="seconds")
    return jsonify({**site.to_dict(), "secret_rotated_at": rotated})


# --- scanning ------------------------------------------------------------------------


@bp.post("/scan")
@documented(
    "Check in or out with a site's code (R8–R12)",
    body=ScanBody,
    responses={200: "Checked out", 201: "Checked in"},
)
@role_required("student")
@scan_limits
def scan():
    data = parse_body(ScanBody)
    result = services.record_scan(
        current_actor(),
        data.token,
        data.action,
        nonce=data.nonce,
        latitude=data.latitude,
        longitude=data.longitude,
        accuracy_m=data.accuracy_m,
        scanned_at=data.scanned_at,
        offline=data.offline,
        device_id=data.device_id,
        ip=request.remote_addr,
        user_agent=request.headers.get("User-Agent"),
    )
    return jsonify(result.body), result.status


# --- sessions ------------------------------------------------------------------------


@bp.get("/sessions")
@documented(
    "Sessions in the caller's scope, newest first (auto-close applied)",
    query={
        "month": "YYYY-MM",
        "student_id": "id",
        "enterprise_id": "id",
        "site_id": "id",
        "status": "session status",
        "flag": "a flag or any",
    },
)
@role_required("union_staff", "enterprise_staff", "student")
def list_sessions():
    args = validate_args(SessionArgs)
    stmt = services.list_sessions(current_actor(), **args.model_dump())
    return jsonify(paginated(stmt, lambda s: s.to_dict()))


@bp.get("/sessions/<int:session_id>")
@documented("One session")
@role_required("union_staff", "enterprise_staff", "student")
def get_session(session_id: int):
    return jsonify(services.get_session(current_actor(), session_id).to_dict())


@bp.post("/sessions")
@documented(
    "Enter a session by hand (confirmed, flag manual); union staff of the student's union "
    "only in a closed or attested month",
    body=ManualBody,
    responses={201: "Created", 400: "validation_error (R17, longer than MAX_SESSION_HOURS)"},
)
@role_required("enterprise_staff", "union_staff")
def create_session():
    data = parse_body(ManualBody)
    s = services.enter_session(
        current_actor(),
        data.student_id,
        data.site_id,
        data.check_in_at,
        data.check_out_at,
        data.reason,
    )
    return jsonify(s.to_dict()), 201


@bp.post("/sessions/<int:session_id>/confirm")
@documented(
    "Confirm a pending session; union staff of the student's union only in a closed or "
    "attested month, with a reason",
    body=ConfirmBody,
    responses={409: "invalid_state, month_closed"},
)
@role_required("enterprise_staff", "union_staff")
def confirm_session(session_id: int):
    get_or_404(sessions(current_actor()), ServiceSession, session_id)
    data = parse_body(ConfirmBody)
    return jsonify(services.confirm_session(current_actor(), session_id, data.reason).to_dict())


@bp.post("/sessions/confirm")
@documented("Confirm many sessions, all or none", body=IdsBody)
@role_required("enterprise_staff")
def confirm_sessions():
    data = parse_body(IdsBody)
    return jsonify({"confirmed": services.confirm_sessions(current_actor(), data.ids)})


@bp.post("/sessions/<int:session_id>/reject")
@documented(
    "Reject a session with a reason; union staff of the student's union only in a closed "
    "or attested month",
    body=ReasonBody,
    responses={409: "invalid_state, month_closed"},
)
@role_required("enterprise_staff", "union_staff")
def reject_session(session_id: int):
    get_or_404(sessions(current_actor()), ServiceSession, session_id)
    data = parse_body(ReasonBody)
    return jsonify(services.reject_session(current_actor(), session_id, data.reason).to_dict())


@bp.post("/sessions/<int:session_id>/adjust")
@documented(
    "Adjust a session's times with a reason (confirmed, flag adjusted); union staff of the "
    "student's union only in a closed or attested month",
    body=AdjustBody,
    responses={400: "validation_error (longer than MAX_SESSION_HOURS)", 409: "month_closed"},
)
@role_required("enterprise_staff", "union_staff")
def adjust_session(session_id: int):
    get_or_404(sessions(current_actor()), ServiceSession, session_id)
    data = parse_body(AdjustBody)
    s = services.adjust_session(
        current_actor(), session_id, data.check_in_at, data.check_out_at, data.reason
    )
    return jsonify(s.to_dict())


# --- corrections ---------------------------------------------------------------------


@bp.post("/sessions/<int:session_id>/corrections")
@documented(
    "Ask for a correction of one's own session", body=CorrectionBody, responses={201: "Requested"}
)
@role_required("student")
def request_correction(session_id: int):
    get_or_404(sessions(current_actor()), ServiceSession, session_id)
    data = parse_body(CorrectionBody)
    c = services.request_correction(
        current_actor(), session_id, data.check_in_at, data.check_out_at, data.note
    )
    return jsonify({"id": c.id, "status": c.status}), 201


@bp.get("/corrections")
@documented("Correction requests in the caller's scope", query={"status": "open|accepted|declined"})
@role_required("union_staff", "enterprise_staff", "student")
def list_corrections():
    status = request.args.get("status") or None
    stmt = services.correction_query(current_actor(), status)
    return jsonify(paginated(stmt, lambda c: c.to_dict()))


def _decide_correction(correction_id: int, accept: bool):
    actor = current_actor()
    if actor.role != "enterprise_staff":
        raise Forbidden()
    get_or_404(corrections(actor), Correction, correction_id)
    data = parse_body(DecisionBody)
    decide = services.accept_correction if accept else services.decline_correction
    return jsonify(decide(actor, correction_id, data.note).to_dict())


@bp.post("/corrections/<int:correction_id>/accept")
@documented("Accept a correction: its times are applied as an adjustment", body=DecisionBody)
@role_required("enterprise_staff")
def accept_correction(correction_id: int):
    return _decide_correction(correction_id, True)


@bp.post("/corrections/<int:correction_id>/decline")
@documented("Decline a correction", body=DecisionBody)
@role_required("enterprise_staff")
def decline_correction(correction_id: int):
    return _decide_correction(correction_id, False)
