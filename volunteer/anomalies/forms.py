"""The resolve form of the anomaly pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, TextAreaField
from wtforms.validators import DataRequired, Length


class ResolveForm(FlaskForm):
    """Dismiss or confirm with a note; confirming may reject the sessions concerned."""

    status = RadioField(
        _l("处理结果"),
        choices=[("dismissed", _l("排除（没有问题）")), ("confirmed", _l("确认（确有问题）"))],
        validators=[DataRequired(message=_l("请选择处理结果。"))],
    )
    note = TextAreaField(
        _l("处理说明"),
        validators=[
            DataRequired(message=_l("请填写处理说明。")),
            Length(max=1000, message=_l("处理说明不超过 1000 字。")),
        ],
    )
    reject_sessions = BooleanField(_l("同时驳回相关服务记录"))
