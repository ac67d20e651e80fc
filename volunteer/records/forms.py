"""Forms of the record pages; the domain checks live in rules.py."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

RATING_CHOICES = [
    ("5", _l("5 分 · 优秀")),
    ("4", _l("4 分 · 良好")),
    ("3", _l("3 分 · 合格")),
    ("2", _l("2 分 · 待改进")),
    ("1", _l("1 分 · 不合格")),
]


class EvaluationForm(FlaskForm):
    """An enterprise's evaluation of one hosted student for one month."""

    month = HiddenField(validators=[DataRequired()])
    rating = SelectField(_l("评分"), choices=RATING_CHOICES, validators=[DataRequired()])
    comment = TextAreaField(_l("评语"), validators=[Optional(), Length(max=500)])


class RecordForm(FlaskForm):
    """A training or an award, as the student's union records it."""

    kind = SelectField(
        _l("类型"),
        choices=[("training", _l("培训")), ("award", _l("表彰奖励"))],
        default="training",
    )
    title = StringField(_l("名称"), validators=[DataRequired(), Length(max=200)])
    on = DateField(_l("日期"), validators=[InputRequired()])
    hours = DecimalField(
        _l("学时（培训，可不填）"), places=1, validators=[Optional(), NumberRange(0.1, 1000)]
    )
    issuer = StringField(_l("组织或授予单位"), validators=[Optional(), Length(max=100)])
