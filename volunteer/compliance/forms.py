"""Forms of the compliance pages: exemptions, month close and reopen."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DecimalField, HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

MONTH_PATTERN = r"^\d{4}-\d{2}$"


class ExemptionForm(FlaskForm):
    student_id = HiddenField()
    student = StringField(_l("学生手机号"), validators=[Optional(), Length(max=11)])
    month = StringField(
        _l("月份"),
        validators=[
            DataRequired(message=_l("请选择月份。")),
            Regexp(MONTH_PATTERN, message=_l("月份格式应为 YYYY-MM。")),
        ],
    )
    whole = BooleanField(_l("免除该月全部服务时长"))
    hours = DecimalField(
        _l("免除时长（小时）"),
        places=1,
        validators=[
            Optional(),
            NumberRange(min=0.5, max=240, message=_l("应在 0.5–240 小时之间。")),
        ],
    )
    reason = TextAreaField(
        _l("理由"), validators=[DataRequired(message=_l("请填写理由。")), Length(max=1000)]
    )
    override_reason = TextAreaField(
        _l("结算后修改理由（仅当该月已结算时填写）"), validators=[Optional(), Length(max=1000)]
    )


class RevokeExemptionForm(FlaskForm):
    reason = StringField(
        _l("撤销理由"), validators=[DataRequired(message=_l("请填写理由。")), Length(max=1000)]
    )
    override_reason = StringField(_l("结算后修改理由"), validators=[Optional(), Length(max=1000)])


class CloseForm(FlaskForm):
    confirm = BooleanField(
        _l("我已知晓：结算后待确认的时长不再计入，数据将锁定。"),
        validators=[DataRequired(message=_l("请勾选确认。"))],
    )


class ReopenForm(FlaskForm):
    reason = TextAreaField(
        _l("重新开放的理由"),
        validators=[DataRequired(message=_l("请填写理由。")), Length(max=1000)],
    )
