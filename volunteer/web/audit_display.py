"""The audit log as people read it: actions and objects in words, objects by name with
a link, and each changed field as 字段：修改前 → 修改后 (never raw JSON or codes)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import clock
from ..agreements.models import Agreement
from ..audit import AuditEntry
from ..auth.models import User
from ..checkin.models import ServiceSession
from ..enterprises.models import Enterprise, Site
from ..extensions import db
from ..students.models import Student
from ..ui.words import flag_word, status_word
from ..unions.models import Union

ACTION_WORDS = {
    "created": _l("新建"),
    "updated": _l("修改"),
    "signed": _l("签署"),
    "terminated": _l("终止"),
    "issued": _l("出具"),
    "downloaded": _l("下载"),
    "imported": _l("批量导入"),
    "aid_added": _l("添加资助记录"),
    "id_revealed": _l("查看完整证件号"),
    "id_key_rotated": _l("更换证件号加密密钥"),
    "password_changed": _l("修改密码"),
    "password_reset": _l("重置密码"),
    "passwords_reset": _l("批量重置密码"),
    "closed": _l("结算"),
    "reopened": _l("重新开放"),
    "overridden": _l("设置日历例外"),
    "override_removed": _l("取消日历例外"),
    "revoked": _l("撤销"),
    "activated": _l("激活"),
    "secret_rotated": _l("更换现场码"),
    "attested": _l("签字确认"),
    "requested": _l("提出申请"),
    "accepted": _l("同意"),
    "declined": _l("拒绝"),
    "confirmed": _l("确认"),
    "rejected": _l("驳回"),
    "adjusted": _l("调整时长"),
    "entered_manually": _l("手工录入"),
    "auto_closed": _l("自动签退"),
    "checked_in": _l("签到"),
    "checked_out": _l("签退"),
    "reopened_session": _l("重新打开"),
    "ends_on_changed": _l("修改结束日期"),
    "lock_overridden": _l("结算后授权修改"),
    "stale": _l("签字后数据变更"),
    "detected": _l("发现异常"),
    "evidence_added": _l("补充异常证据"),
    "resolved": _l("处理"),
    "dismissed": _l("排除"),
}
ENTITY_WORDS = {
    "union": _l("工会"),
    "user": _l("账号"),
    "student": _l("学生"),
    "enterprise": _l("爱心企业"),
    "site": _l("服务点"),
    "agreement": _l("协议"),
    "session": _l("服务记录"),
    "correction": _l("更正申请"),
    "exemption": _l("免除"),
    "calendar": _l("日历"),
    "month": _l("月度结算"),
    "report": _l("报表"),
    "certificate": _l("证明"),
    "kiosk": _l("签到平板"),
    "anomaly": _l("异常"),
    "followup": _l("帮扶跟进"),
    "attestation": _l("签字确认"),
}
FIELD_WORDS = {
    "name": _l("名称"),
    "username": _l("用户名"),
    "role": _l("角色"),
    "union_code": _l("所属工会"),
    "parent_code": _l("上级工会"),
    "code": _l("编码"),
    "student_id": _l("学生"),
    "enterprise_id": _l("企业"),
    "site_id": _l("服务点"),
    "agreement_id": _l("协议"),
    "session_id": _l("服务记录"),
    "status": _l("状态"),
    "kind": _l("类型"),
    "starts_on": _l("开始日期"),
    "ends_on": _l("结束日期"),
    "monthly_hours": _l("每月小时"),
    "allow_workdays": _l("工作日可服务"),
    "paper_signed_on": _l("纸质协议签署日"),
    "student_signed_at": _l("学生签署时间"),
    "enterprise_signed_at": _l("企业签署时间"),
    "terminated_on": _l("终止日期"),
    "termination_reason": _l("终止理由"),
    "check_in_at": _l("签到时间"),
    "check_out_at": _l("签退时间"),
    "minutes": _l("时长"),
    "flags": _l("标记"),
    "reason": _l("理由"),
    "override_reason": _l("例外理由"),
    "distance_m": _l("距离（米）"),
    "note": _l("备注"),
    "decision_note": _l("处理意见"),
    "created_at": _l("创建时间"),
    "decided_at": _l("处理时间"),
    "revoked_at": _l("撤销时间"),
    "closed_at": _l("结算时间"),
    "address": _l("地址"),
    "city": _l("城市"),
    "capacity": _l("容量"),
    "contact_name": _l("联系人"),
    "contact_phone": _l("联系电话"),
    "credit_code": _l("统一社会信用代码"),
    "industry": _l("行业"),
    "is_active": _l("启用"),
    "latitude": _l("纬度"),
    "longitude": _l("经度"),
    "radius_m": _l("范围（米）"),
    "phone": _l("手机号"),
    "university": _l("学校"),
    "university_city": _l("学校所在城市"),
    "major": _l("专业"),
    "home_city": _l("家庭所在城市"),
    "enrollment_year": _l("入学年份"),
    "family_hardship": _l("家庭困难情况"),
    "id_number_masked": _l("证件号（遮蔽）"),
    "aid_record_id": _l("资助记录"),
    "amount_yuan": _l("金额（元）"),
    "category": _l("类别"),
    "year": _l("年份"),
    "month": _l("月份"),
    "whole": _l("整月免除"),
    "from_month": _l("起始月份"),
    "to_month": _l("截止月份"),
    "students": _l("学生数"),
    "missed": _l("未达标人数"),
    "pending_minutes_not_counted": _l("未计入的待确认时长"),
    "list": _l("名单"),
    "format": _l("格式"),
    "rows": _l("行数"),
    "signer_name": _l("签字人"),
    "label": _l("名称"),
    "filename": _l("文件名"),
    "created": _l("新建数量"),
    "unions": _l("工会"),
    "key_id": _l("密钥"),
    "secret_rotated_at": _l("更换时间"),
    "must_change_password": _l("须修改密码"),
    "count": _l("数量"),
    "stale_since": _l("变更时间"),
    "attested_at": _l("签字时间"),
    "guarded_action": _l("操作"),
}
MINUTE_FIELDS = {"minutes", "pending_minutes_not_counted"}
ROLE_WORDS = {
    "union_staff": _l("工会干事"),
    "enterprise_staff": _l("企业人员"),
    "student": _l("学生"),
}
KIND_WORDS = {"volunteer": _l("志愿服务"), "internship": _l("实习")}
CATEGORY_WORDS = {"regular": _l("普通高校"), "key_university": _l("985/211 高校")}
# Values typed as identifiers (logins, codes): shown as typed, in code type.
CODE_FIELDS = {"username", "code", "credit_code"}
HIDDEN_FIELDS = {"id"}
_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


@dataclass
class Change:
    """One field of an entry: its words and the values before and after, as text."""

    label: str
    before: str
    after: str
    is_code: bool = False


@dataclass
class Row:
    """One audit entry ready for the page."""

    at: datetime
    actor: str
    action: str
    entity: str
    object_name: str
    object_url: str | None
    changes: list[Change] = field(default_factory=list)
    shows_before: bool = False  # a change of an existing object, not a creation


class _Names:
    """Names of the objects a page of entries mentions, loaded once per kind."""

    def __init__(self, entries: list[AuditEntry]) -> None:
        ids: dict[str, set[int]] = {}
        codes: set[str] = set()

        def want(kind: str, value: Any) -> None:
            if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
                ids.setdefault(kind, set()).add(int(value))

        for e in entries:
            want("user", e.actor_id)
            if e.entity in ("student", "enterprise", "site", "agreement", "session", "user"):
                want(e.entity, e.entity_id)
            for values in (e.before, e.after):
                if isinstance(values, dict):
                    for key in ("student_id", "enterprise_id", "site_id"):
                        want(key[:-3], values.get(key))
                    if isinstance(values.get("union_code"), str):
                        codes.add(values["union_code"])
            if e.entity == "month":
                codes.add(e.entity_id.split("/")[0])
        self.sessions = self._rows(
            select(ServiceSession.id, ServiceSession.check_in_at, ServiceSession.student_id).where(
                ServiceSession.id.in_(ids.get("session", ()))
            ),
        )
        self.agreements = self._rows(
            select(Agreement.id, Agreement.student_id, Agreement.enterprise_id).where(
                Agreement.id.in_(ids.get("agreement", ()))
            )
        )
        students = ids.get("student", set())
        enterprises = ids.get("enterprise", set())
        for _id, _at, student_id in self.sessions.values():
            students.add(student_id)
        for _id, student_id, enterprise_id in self.agreements.values():
            students.add(student_id)
            enterprises.add(enterprise_id)
        self.students = self._names(Student, students)
        self.enterprises = self._names(Enterprise, enterprises)
        self.sites = self._names(Site, ids.get("site", ()))
        self.users = self._names(User, ids.get("user", ()))
        self.unions = dict(
            db.session.execute(select(Union.code, Union.name).where(Union.code.in_(codes))).all()
        )

    @staticmethod
    def _rows(stmt) -> dict[int, tuple]:
        return {row[0]: tuple(row) for row in db.session.execute(stmt).all()}

    @staticmethod
    def _names(model, wanted) -> dict[int, str]:
        if not wanted:
            return {}
        stmt = select(model.id, model.name).where(model.id.in_(wanted))
        return dict(db.session.execute(stmt).all())


def describe(entries: list[AuditEntry]) -> list[Row]:
    """Turn a page of entries into rows of words (a fixed number of queries)."""
    names = _Names(entries)
    return [_row(e, names) for e in entries]


def action_word(action: str) -> str:
    """The words for an action code (a generic word for one not known yet)."""
    return str(ACTION_WORDS.get(action, _l("变更")))


def entity_word(entity: str) -> str:
    """The words for an object type."""
    return str(ENTITY_WORDS.get(entity, _l("其他")))


def _row(e: AuditEntry, names: _Names) -> Row:
    name, url = _object(e, names)
    return Row(
        at=e.at,
        actor=names.users.get(e.actor_id) or str(_l("系统")),
        action=action_word(e.action),
        entity=entity_word(e.entity),
        object_name=name,
        object_url=url,
        changes=_changes(e.before, e.after, names),
        shows_before=bool(e.before),
    )


def _int(value: str) -> int | None:
    return int(value) if value.isdigit() else None


def _object(e: AuditEntry, names: _Names) -> tuple[str, str | None]:
    """Name and link of the entry's object (no link where no page shows it)."""
    key = _int(e.entity_id)
    if e.entity == "student" and key in names.students:
        return names.students[key], url_for("students.detail", student_id=key)
    if e.entity == "enterprise" and key in names.enterprises:
        return names.enterprises[key], url_for("enterprises.detail", enterprise_id=key)
    if e.entity == "site" and key in names.sites:
        return names.sites[key], None
    if e.entity == "user" and key in names.users:
        return names.users[key], None
    if e.entity == "agreement" and key in names.agreements:
        _id, student_id, enterprise_id = names.agreements[key]
        title = f"{names.students.get(student_id, '')} · {names.enterprises.get(enterprise_id, '')}"
        return title, url_for("agreements.detail", agreement_id=key)
    if e.entity == "session" and key in names.sessions:
        _id, at, student_id = names.sessions[key]
        title = f"{names.students.get(student_id, '')} · {clock.to_local(at):%Y-%m-%d}"
        return title, url_for("checkin.session_detail", session_id=key)
    if e.entity == "month" and "/" in e.entity_id:
        code, month = e.entity_id.split("/", 1)
        return f"{names.unions.get(code, code)} · {month}", None
    if e.entity == "calendar":
        return e.entity_id, url_for("calendar.month", month=e.entity_id[:7])
    if e.entity == "report":
        month = e.entity_id.rsplit(":", 1)[-1].split("/")[0] if e.entity_id else ""
        values = e.after or {}
        month = values.get("month", month) if isinstance(values, dict) else month
        return str(_l("%(month)s 报表", month=month)), None
    if e.entity == "student":
        return str(_l("一批学生")), None
    values = e.after if isinstance(e.after, dict) else e.before
    if isinstance(values, dict) and values.get("student_id") in names.students:
        title = names.students[values["student_id"]]
        month = values.get("month") or values.get("from_month")
        return (f"{title} · {month}" if month else title), None
    return str(_l("（已不存在）")), None


def _changes(before: Any, after: Any, names: _Names) -> list[Change]:
    """The fields that differ (all of them for a creation), as words."""
    before = before if isinstance(before, dict) else {}
    after = after if isinstance(after, dict) else {}
    out = []
    order = {key: i for i, key in enumerate(FIELD_WORDS)}
    keys = sorted(dict.fromkeys([*before, *after]), key=lambda k: order.get(k, len(order)))
    for key in keys:
        if key in HIDDEN_FIELDS:
            continue
        old, new = before.get(key), after.get(key)
        if key in before and key in after and old == new:
            continue
        if not before and new in (None, "", []):
            continue  # a new object's empty fields say nothing
        label = str(FIELD_WORDS.get(key, _l("其他")))
        before_text, after_text = _value(key, old, names), _value(key, new, names)
        out.append(Change(label, before_text, after_text, key in CODE_FIELDS))
    return out


def _value(key: str, value: Any, names: _Names) -> str:  # noqa: PLR0911 - one case a line
    """A stored value as people read it."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return str(_l("是") if value else _l("否"))
    if key in MINUTE_FIELDS and isinstance(value, int):
        return str(_l("%(h)s 小时", h=f"{value / 60:.1f}"))
    if key == "student_id":
        return names.students.get(value, "—")
    if key == "enterprise_id":
        return names.enterprises.get(value, "—")
    if key == "site_id":
        return names.sites.get(value, "—")
    if key in ("union_code", "parent_code"):
        return names.unions.get(value, str(value))
    if key == "status":
        return status_word(value)
    if key == "role":
        return str(ROLE_WORDS.get(value, value))
    if key == "kind":
        return str(KIND_WORDS.get(value, value))
    if key == "category":
        return str(CATEGORY_WORDS.get(value, value))
    if key == "flags" and isinstance(value, list):
        return "、".join(flag_word(f) for f in value)
    if key == "unions" and isinstance(value, list):
        return "、".join(names.unions.get(c, str(c)) for c in value)
    if isinstance(value, str) and _ISO_TIME.match(value):
        try:
            return clock.to_local(datetime.fromisoformat(value)).strftime("%Y-%m-%d %H:%M")
        except ValueError:
            return value
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{FIELD_WORDS.get(k, k)}：{v}" for k, v in value.items())
    return str(value)
