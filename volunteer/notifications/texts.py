"""The words of each kind, made from its `data` only (so nothing private slips in).

Stored in Chinese for the API and deliveries; pages compose them again in the reader's
language from the same data.
"""

from __future__ import annotations

from ..errors import N_, Text


def _hours(minutes: object) -> str:
    # 600 → "10", 630 → "10.5": whole hours read better without a trailing ".0".
    return f"{int(minutes or 0) / 60:.1f}".removesuffix(".0")


def compose(kind: str, data: dict) -> tuple[Text, Text]:
    """Return (title, body) of a notification of `kind` with `data`."""
    d = data or {}
    if kind == "pace_reminder":
        return (
            N_(
                "%(month)s 还需服务 %(hours)s 小时",
                month=d.get("month", ""),
                hours=_hours(d.get("needed_minutes")),
            ),
            N_(
                "明天（%(on)s）起可以服务。%(month)s 还需 %(hours)s 小时，本月还剩 %(days)s 个可服务日。",
                on=d.get("run_starts_on", ""),
                month=d.get("month", ""),
                hours=_hours(d.get("needed_minutes")),
                days=d.get("allowed_days_left", 0),
            ),
        )
    if kind == "session_auto_closed":
        return (
            N_("%(on)s 的服务记录已自动签退", on=d.get("on", "")),
            N_(
                "您在%(enterprise)s的服务记录（%(on)s）超过时限未签退，已按 0 小时自动关闭。请提交更正申请，填写实际签退时间。",
                enterprise=d.get("enterprise_name", ""),
                on=d.get("on", ""),
            ),
        )
    if kind == "correction_decided":
        accepted = d.get("outcome") == "accepted"
        return (
            N_("更正申请已通过") if accepted else N_("更正申请未通过"),
            N_(
                "%(enterprise)s已通过您对 %(on)s 服务记录的更正申请。",
                enterprise=d.get("enterprise_name", ""),
                on=d.get("on", ""),
            )
            if accepted
            else N_(
                "%(enterprise)s未通过您对 %(on)s 服务记录的更正申请，可查看说明。",
                enterprise=d.get("enterprise_name", ""),
                on=d.get("on", ""),
            ),
        )
    if kind == "certificate_superseded":
        return (
            N_("志愿服务证明已失效"),
            N_(
                "证明 %(number)s 所载时长已变更，原证明已失效，请重新开具。",
                number=d.get("number", ""),
            ),
        )
    if kind == "confirmations_pending":
        return (
            N_("有 %(count)s 条服务记录待确认", count=d.get("count", 0)),
            N_(
                "%(count)s 条服务记录已等待确认超过 %(days)s 天，请尽快确认或驳回。",
                count=d.get("count", 0),
                days=d.get("days", 3),
            ),
        )
    if kind == "attestation_stale":
        return (
            N_("%(month)s 签字确认后数据已变更", month=d.get("month", "")),
            N_(
                "%(month)s 的月报在签字确认后发生变更，请核对后重新签字确认。",
                month=d.get("month", ""),
            ),
        )
    if kind == "month_digest":
        return (
            N_("%(month)s 月度汇总", month=d.get("month", "")),
            N_(
                "%(month)s 已结束：未达标学生 %(missed)s 人，待确认时长 %(hours)s 小时，尚未签字确认的企业 %(unattested)s 家。",
                month=d.get("month", ""),
                missed=d.get("missed", 0),
                hours=_hours(d.get("pending_minutes")),
                unattested=d.get("unattested", 0),
            ),
        )
    if kind == "agreement_ending":
        return (
            N_("协议将于 %(on)s 到期", on=d.get("ends_on", "")),
            N_(
                "%(student)s与%(enterprise)s的协议将于 %(on)s 到期，如需继续服务请及时续签。",
                student=d.get("student_name", ""),
                enterprise=d.get("enterprise_name", ""),
                on=d.get("ends_on", ""),
            ),
        )
    if kind == "followup_assigned":
        return (
            N_("新的帮扶跟进：%(student)s", student=d.get("student_name", "")),
            N_(
                "%(student)s %(month)s 未达标，跟进工作已指派给您。",
                student=d.get("student_name", ""),
                month=d.get("month", ""),
            ),
        )
    return Text(kind), Text("")
