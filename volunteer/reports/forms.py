"""Forms for the report and certificate pages (the domain checks live in rules.py)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, Length

KIND_CHOICES = [
    ("", _l("自动选择")),
    ("volunteer", _l("志愿服务记录证明")),
    ("internship", _l("实习证明")),
]


class CertificateForm(FlaskForm):
    from_month = StringField(_l("起始月份"), validators=[DataRequired(), Length(max=7)])
    to_month = StringField(_l("截止月份"), validators=[DataRequired(), Length(max=7)])
    kind = SelectField(_l("证明类型"), choices=KIND_CHOICES, default="")


class AttestForm(FlaskForm):
    confirm = BooleanField(
        _l("本企业已核对本月名单与服务时长，确认无误"),
        validators=[DataRequired(_l("请先勾选确认。"))],
    )
