"""Forms for unions and their staff."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional


class UnionForm(FlaskForm):
    code = StringField(_l("工会代码"), validators=[DataRequired(), Length(max=32)])
    name = StringField(_l("名称"), validators=[DataRequired(), Length(max=100)])
    parent_code = SelectField(_l("上级工会"), validators=[DataRequired()])


class StaffForm(FlaskForm):
    name = StringField(_l("姓名"), validators=[DataRequired(), Length(max=100)])
    username = StringField(_l("用户名"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("初始密码"), validators=[DataRequired(), Length(min=8, max=128)])


class ProfileForm(FlaskForm):
    """The issuer's fields of certificates and the insurance rule (R37, R39)."""

    leader_name = StringField(_l("负责人"), validators=[Optional(), Length(max=50)])
    contact = StringField(_l("联系方式"), validators=[Optional(), Length(max=100)])
    require_insurance = BooleanField(_l("要求投保：保险未覆盖的日期不允许签到"))


class SealForm(FlaskForm):
    """The union's seal image."""

    file = FileField(
        _l("印章图片（PNG，不超过 512 KB）"), validators=[FileRequired(_l("请选择文件。"))]
    )
