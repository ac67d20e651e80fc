"""What a scan attempt leaves behind (R14): the refusal codes and their messages, the
attempt row, and the commit that keeps a refusal after its transaction rolled back."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from .. import clock
from ..auth.models import User
from ..errors import N_, DomainError
from ..errors_http import localized_body
from ..extensions import db
from . import rules
from .models import ScanAttempt, ScanNonce

MESSAGES = {
    "token_invalid": N_("二维码无效：请扫描服务点现场显示的二维码。"),
    "token_expired": N_("二维码已过期：请重新扫描服务点现场的最新二维码。"),
    "site_inactive": N_("该服务点已停用，不能签到或签退。"),
    "already_checked_in": N_("你已经签到，还没有签退：请先在签到的服务点签退。"),
    "not_checked_in": N_("你当前没有进行中的服务，无需签退。"),
    "wrong_site": N_("你是在其他服务点签到的，请回到签到的服务点扫码签退。"),
    "token_reused": N_("这个二维码你刚刚已经扫过了，请等二维码刷新后再扫。"),
    "no_active_agreement": N_("你与该企业没有今天生效的服务协议，不能签到。"),
    "day_not_allowed": N_("今天不是可服务日（志愿服务安排在休息日和节假日），不能签到。"),
    "not_insured": N_("今天不在协议的意外保险期内，工会要求投保后才能签到，请联系企业或工会。"),
    "month_closed": N_("扫码时间所在的月份已经结算，不能再记录这次服务；请联系工会补录。"),
    "conflict": N_("同时提交了多次操作，请稍后重试。"),
    "rate_limited": N_("扫码过于频繁，请稍后再试。"),
    "validation_error": N_("提交的内容有误。"),
}
TOKEN_CODES = ("token_invalid", "token_expired")
SUCCESS_RESULTS = ("checked_in", "checked_out")
NONCE_RE = re.compile(r"[A-Za-z0-9_-]{1,64}", re.ASCII)
# A browser's device id: printable ASCII without spaces (the page sends a UUID).
DEVICE_RE = re.compile(r"[!-~]{1,64}", re.ASCII)
# Answers that depend on the moment, not the request, are not kept for a nonce.
NOT_REPLAYED = ("conflict", "rate_limited", "validation_error")


def refusal(code: str, extra: dict | None = None) -> DomainError:
    """Return the DomainError of a scan refusal with its message and status."""
    status = 400 if code in TOKEN_CODES or code == "validation_error" else 409
    return DomainError(code, MESSAGES.get(code, code), status=status, extra=extra)


@dataclass
class Attempt:
    """What R14 keeps of one scan attempt, filled in as the checks go."""

    student_id: int | None
    action: str
    at: datetime
    ip: str | None = None
    user_agent: str | None = None
    site_id: int | None = None
    token_kind: str | None = None
    verdict: str | None = None
    distance_m: float | None = None
    device_id: str | None = None

    def row(self, result: str, session_id: int | None = None) -> ScanAttempt:
        """Return the ScanAttempt row of this attempt."""
        return ScanAttempt(**self.values(result, session_id))

    def values(self, result: str, session_id: int | None = None) -> dict:
        """Return the column values of this attempt's ScanAttempt row."""
        return dict(
            at=self.at,
            student_id=self.student_id,
            site_id=self.site_id,
            action=self.action if self.action in rules.ACTIONS else "invalid",
            result=result,
            token_kind=self.token_kind,
            ip=(self.ip or "")[:64] or None,
            user_agent=(self.user_agent or "")[:300] or None,
            location_verdict=self.verdict,
            distance_m=self.distance_m,
            session_id=session_id,
            device_id=self.device_id,
        )


def record_refusal(attempt: Attempt, exc: DomainError, nonce: object) -> None:
    """Record a refused attempt (and its answer for the nonce) in its own commit."""
    db.session.add(attempt.row(exc.code))
    if isinstance(nonce, str) and NONCE_RE.fullmatch(nonce) and exc.code not in NOT_REPLAYED:
        db.session.add(
            ScanNonce(
                student_id=attempt.student_id,
                nonce=nonce,
                status_code=exc.status,
                body=localized_body(exc),  # a repeated nonce gets the first answer's words
                created_at=attempt.at,
            )
        )
    try:
        db.session.commit()
    except IntegrityError:
        # The nonce was answered meanwhile; the attempt itself is still worth keeping.
        db.session.rollback()
        db.session.add(attempt.row(exc.code))
        db.session.commit()


def record_rate_limited(actor: User | None, ip: str | None, user_agent: str | None) -> None:
    """Record a scan refused by the rate limit (R14); commits."""
    if actor is None or actor.student_id is None:
        return
    attempt = Attempt(
        actor.student_id, "invalid", clock.now().replace(microsecond=0), ip, user_agent
    )
    db.session.add(attempt.row("rate_limited"))
    db.session.commit()
