"""Forms of the case page: a note, an assignment, a resolution."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from . import rules


class NoteForm(FlaskForm):
    text = TextAreaField(_l("跟进记录"), validators=[DataRequired(), Length(max=rules.NOTE_MAX)])


class AssignForm(FlaskForm):
    user_id = SelectField(_l("指派给"), coerce=int, choices=[])


class ResolveForm(FlaskForm):
    outcome = SelectField(_l("结案原因"), choices=[])
    note = TextAreaField(_l("说明"), validators=[DataRequired(), Length(max=rules.NOTE_MAX)])
