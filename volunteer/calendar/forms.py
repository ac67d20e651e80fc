"""Forms of the calendar page: a province-wide override and its removal."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


class OverrideForm(FlaskForm):
    day = DateField(_l("日期"), validators=[DataRequired(message=_l("请选择日期。"))])
    kind = SelectField(
        _l("设为"), choices=[("rest", _l("休息日（可服务）")), ("work", _l("工作日（调休上班）"))]
    )
    name = StringField(_l("名称（可选）"), validators=[Optional(), Length(max=100)])
    override_reason = TextAreaField(
        _l("结算后修改理由（该月已有工会结算时必填）"), validators=[Optional(), Length(max=1000)]
    )


class RemoveOverrideForm(FlaskForm):
    override_reason = StringField(
        _l("结算后修改理由（该月已有工会结算时必填）"), validators=[Optional(), Length(max=1000)]
    )
