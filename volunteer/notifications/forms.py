"""The preferences form: an email address and the kinds not to receive by email/SMS."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectMultipleField
from wtforms.validators import Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget


class PreferencesForm(FlaskForm):
    """Where email goes, and which kinds stay in the inbox only."""

    email = EmailField(_l("邮箱（可选）"), validators=[Optional(), Length(max=254)])
    opt_out = SelectMultipleField(
        _l("不通过短信或邮件发送"),
        choices=[],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=True,
    )
