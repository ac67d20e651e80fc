"""Forms for enterprises, sites and enterprise staff accounts."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FloatField, IntegerField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from .rules import MAX_CAPACITY, MAX_RADIUS_M, MIN_RADIUS_M


class EnterpriseForm(FlaskForm):
    name = StringField(_l("企业名称"), validators=[DataRequired(), Length(max=100)])
    credit_code = StringField(_l("统一社会信用代码"), validators=[DataRequired(), Length(max=40)])
    union_code = SelectField(_l("登记工会"), validators=[DataRequired()])
    city = StringField(_l("所在城市"), validators=[Optional(), Length(max=50)])
    industry = StringField(_l("行业"), validators=[Optional(), Length(max=50)])
    address = StringField(_l("地址"), validators=[Optional(), Length(max=200)])
    capacity = IntegerField(
        _l("容量（每天最多学生数）"),
        default=10,
        validators=[
            InputRequired(message=_l("请填写容量。")),
            NumberRange(min=0, max=MAX_CAPACITY),
        ],
    )
    contact_name = StringField(_l("联系人"), validators=[Optional(), Length(max=50)])
    contact_phone = StringField(_l("联系电话（手机）"), validators=[Optional(), Length(max=20)])

    def values(self) -> dict:
        """Return the profile fields as the service takes them."""
        return {
            name: getattr(self, name).data
            for name in (
                "name",
                "credit_code",
                "city",
                "industry",
                "address",
                "capacity",
                "contact_name",
                "contact_phone",
            )
        }


class EnterpriseEditForm(EnterpriseForm):
    union_code = None  # an enterprise stays with the union that registered it


class SiteForm(FlaskForm):
    name = StringField(_l("服务点名称"), validators=[DataRequired(), Length(max=100)])
    address = StringField(_l("地址"), validators=[Optional(), Length(max=200)])
    latitude = FloatField(_l("纬度（可选）"), validators=[Optional(), NumberRange(-90, 90)])
    longitude = FloatField(_l("经度（可选）"), validators=[Optional(), NumberRange(-180, 180)])
    radius_m = IntegerField(
        _l("签到半径（米）"), validators=[Optional(), NumberRange(MIN_RADIUS_M, MAX_RADIUS_M)]
    )

    def values(self) -> dict:
        """Return the site fields as the service takes them."""
        located = self.latitude.data is not None or self.longitude.data is not None
        return {
            "name": self.name.data,
            "address": self.address.data,
            "latitude": self.latitude.data,
            "longitude": self.longitude.data,
            # Emptying both coordinates on the page means "no location check": the
            # pre-filled radius goes with them rather than being refused.
            "radius_m": self.radius_m.data if located else None,
        }


class StaffForm(FlaskForm):
    name = StringField(_l("姓名"), validators=[DataRequired(), Length(max=100)])
    username = StringField(_l("用户名"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("初始密码"), validators=[DataRequired(), Length(min=8, max=128)])
