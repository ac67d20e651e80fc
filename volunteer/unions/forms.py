"""Forms for unions and their staff."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length


class UnionForm(FlaskForm):
    code = StringField(_l("工会代码"), validators=[DataRequired(), Length(max=32)])
    name = StringField(_l("名称"), validators=[DataRequired(), Length(max=100)])
    parent_code = SelectField(_l("上级工会"), validators=[DataRequired()])


class StaffForm(FlaskForm):
    name = StringField(_l("姓名"), validators=[DataRequired(), Length(max=100)])
    username = StringField(_l("用户名"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("初始密码"), validators=[DataRequired(), Length(min=8, max=128)])
