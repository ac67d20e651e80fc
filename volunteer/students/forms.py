"""Forms for the union's student pages; the domain checks are in rules.py and identity.py."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import IntegerField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from .rules import AID_CATEGORIES


class StudentForm(FlaskForm):
    """A student's profile, as union staff edit it."""

    name = StringField(_l("姓名"), validators=[DataRequired(), Length(max=50)])
    id_number = StringField(_l("身份证号"), validators=[DataRequired(), Length(max=40)])
    phone = StringField(_l("手机号"), validators=[DataRequired(), Length(max=30)])
    university = StringField(_l("学校"), validators=[DataRequired(), Length(max=100)])
    university_city = StringField(_l("学校所在城市"), validators=[Optional(), Length(max=50)])
    major = StringField(_l("专业"), validators=[Optional(), Length(max=100)])
    enrollment_year = IntegerField(
        _l("入学年份"), validators=[Optional(), NumberRange(min=1990, max=2100)]
    )
    home_city = StringField(_l("家庭所在城市"), validators=[Optional(), Length(max=50)])
    union_code = SelectField(_l("所属工会"), validators=[DataRequired()])
    family_hardship = TextAreaField(_l("家庭困难情况"), validators=[Optional(), Length(max=2000)])
    volunteer_number = StringField(
        _l("志愿者编号（全国志愿服务信息系统）"), validators=[Optional(), Length(max=32)]
    )

    def profile(self) -> dict:
        """Return the profile fields as the service takes them."""
        return {
            name: getattr(self, name).data
            for name in (
                "name",
                "id_number",
                "phone",
                "university",
                "university_city",
                "major",
                "enrollment_year",
                "home_city",
                "union_code",
                "family_hardship",
                "volunteer_number",
            )
        }


class NewStudentForm(StudentForm):
    """A new student: the profile plus the student's login."""

    username = StringField(_l("登录用户名"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("初始密码"), validators=[DataRequired(), Length(min=8, max=128)])


class EditStudentForm(StudentForm):
    """An existing student: the ID number may be left blank to keep it."""

    id_number = StringField(_l("新身份证号"), validators=[Optional(), Length(max=40)])


class AidForm(FlaskForm):
    """One 金秋助学 grant."""

    year = IntegerField(_l("年度"), validators=[InputRequired(), NumberRange(min=2000, max=2100)])
    amount_yuan = IntegerField(
        _l("金额（元）"), validators=[InputRequired(), NumberRange(min=0, max=1_000_000)]
    )
    category = SelectField(
        _l("类别"),
        choices=list(zip(AID_CATEGORIES, (_l("普通高校"), _l("985/211高校")), strict=True)),
        validators=[DataRequired()],
    )
    note = StringField(_l("备注"), validators=[Optional(), Length(max=200)])


class ImportForm(FlaskForm):
    """A class list to import."""

    file = FileField(_l("学生名单（.xlsx 或 .csv）"), validators=[FileRequired(_l("请选择文件。"))])
