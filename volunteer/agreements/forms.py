"""Forms for agreements: create (with paper signature), terminate, change the end."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from .rules import MAX_MONTHLY_HOURS

KIND_CHOICES = [("volunteer", _l("志愿服务（社会实践）")), ("internship", _l("实习"))]
WORKDAY_CHOICES = [
    ("", _l("按协议类型默认")),
    ("0", _l("仅休息日")),
    ("1", _l("每天均可")),
]


class TermsForm(FlaskForm):
    """The terms and insurance of R37 (《志愿服务条例》arts. 14, 17)."""

    service_content = TextAreaField(_l("服务内容"), validators=[Optional(), Length(max=1000)])
    safety_measures = TextAreaField(_l("安全保障措施"), validators=[Optional(), Length(max=1000)])
    insurer = StringField(_l("意外保险：保险公司"), validators=[Optional(), Length(max=100)])
    policy_number = StringField(_l("保单号"), validators=[Optional(), Length(max=64)])
    insured_from = DateField(_l("保险起始日期"), validators=[Optional()])
    insured_to = DateField(_l("保险截止日期（含）"), validators=[Optional()])

    def terms(self) -> dict:
        """Return the terms as the service takes them (blank text is None)."""
        out = {}
        for name in ("service_content", "safety_measures", "insurer", "policy_number"):
            out[name] = (getattr(self, name).data or "").strip() or None
        out["insured_from"] = self.insured_from.data
        out["insured_to"] = self.insured_to.data
        return out


class AgreementForm(TermsForm):
    student_id = HiddenField(validators=[DataRequired()])
    enterprise_id = SelectField(
        lazy_pgettext("one", "爱心企业"), coerce=int, validators=[InputRequired()]
    )
    kind = SelectField(_l("协议类型"), choices=KIND_CHOICES, default="volunteer")
    starts_on = DateField(_l("开始日期"), validators=[InputRequired()])
    ends_on = DateField(_l("结束日期（含）"), validators=[InputRequired()])
    monthly_hours = IntegerField(
        _l("每月时长（小时）"),
        validators=[Optional(), NumberRange(0, MAX_MONTHLY_HOURS)],
    )
    allow_workdays = SelectField(_l("可服务日"), choices=WORKDAY_CHOICES, default="")
    signed_on = DateField(_l("纸质协议签署日期（已线下签署时填写）"), validators=[Optional()])

    def values(self) -> dict:
        """Return the agreement fields as the service takes them."""
        workdays = self.allow_workdays.data
        return {
            "enterprise_id": self.enterprise_id.data,
            "kind": self.kind.data,
            "starts_on": self.starts_on.data,
            "ends_on": self.ends_on.data,
            "monthly_hours": self.monthly_hours.data,
            "allow_workdays": None if workdays == "" else workdays == "1",
            "signed_on": self.signed_on.data,
            **self.terms(),
        }


class TerminateForm(FlaskForm):
    effective_on = DateField(_l("终止生效日期（自该日起不再服务）"), validators=[InputRequired()])
    reason = TextAreaField(_l("终止原因"), validators=[DataRequired(), Length(max=1000)])
    override_reason = TextAreaField(_l("结算后修改理由"), validators=[Optional(), Length(max=1000)])


class EndForm(FlaskForm):
    ends_on = DateField(_l("新的结束日期（含）"), validators=[InputRequired()])
    override_reason = TextAreaField(_l("结算后修改理由"), validators=[Optional(), Length(max=1000)])
