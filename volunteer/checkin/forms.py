"""Forms of the check-in pages (the API checks its bodies with pydantic in api.py)."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from .. import clock

TIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
_BAD_TIME = _l("请填写有效的日期和时间。")


def aware(value: datetime | None) -> datetime | None:
    """Read a datetime-local value as business-zone local time."""
    return None if value is None else value.replace(tzinfo=clock.business_tz())


def local_input(value: datetime | None) -> datetime | None:
    """Return a stored time as the naive local value a datetime-local input shows."""
    return None if value is None else clock.to_local(value).replace(tzinfo=None, microsecond=0)


def _time(label, required: bool = True) -> DateTimeLocalField:
    check = DataRequired(message=_BAD_TIME) if required else Optional()
    return DateTimeLocalField(
        label, format=TIME_FORMATS, validators=[check], invalid_value_message=_BAD_TIME
    )


class ScanForm(FlaskForm):
    """The one-button scan form: action, a one-time nonce, and the location if given."""

    action = HiddenField()
    nonce = HiddenField()
    latitude = HiddenField()
    longitude = HiddenField()
    accuracy_m = HiddenField()
    # A scan kept by a phone without network (R41) and the browser's id (R42).
    scanned_at = HiddenField()
    offline = HiddenField()
    device_id = HiddenField()


class ActionForm(FlaskForm):
    """A button-only form (CSRF protection for confirm, revoke, rotate…)."""


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("驳回理由"), validators=[DataRequired(), Length(max=1000)])


def _long_day() -> BooleanField:
    # Shown once the day's total is above DAILY_CAP_HOURS (R32): a second, explicit step.
    return BooleanField(_l("确认：该学生当天服务确实超过每日上限"))


class AdjustForm(FlaskForm):
    check_in_at = _time(_l("实际签到时间"))
    check_out_at = _time(_l("实际签退时间"))
    reason = TextAreaField(_l("调整理由"), validators=[DataRequired(), Length(max=1000)])
    confirm_long_day = _long_day()


class ManualForm(FlaskForm):
    student_id = SelectField(_l("学生"), coerce=int, validators=[DataRequired()])
    site_id = SelectField(_l("服务点"), coerce=int, validators=[DataRequired()])
    check_in_at = _time(_l("签到时间"))
    check_out_at = _time(_l("签退时间"))
    reason = TextAreaField(
        _l("补录理由"),
        validators=[DataRequired(), Length(max=1000)],
        description=_l("例如：手机没电、平板断网。"),
    )
    confirm_long_day = _long_day()


class CorrectionForm(FlaskForm):
    check_in_at = _time(_l("实际签到时间"), required=False)
    check_out_at = _time(_l("实际签退时间"), required=False)
    note = TextAreaField(_l("说明"), validators=[DataRequired(), Length(max=1000)])


class DecisionForm(FlaskForm):
    note = TextAreaField(_l("答复（可选）"), validators=[Optional(), Length(max=1000)])


class KioskForm(FlaskForm):
    site_id = SelectField(_l("服务点"), coerce=int, validators=[DataRequired()])
    label = StringField(
        _l("平板名称"),
        validators=[DataRequired(), Length(max=100)],
        description=_l("例如：前台平板"),
    )
