"""FBR reporting's forms: send a document again, settle one by hand with the number FBR holds."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional


class SendAgainForm(FlaskForm):
    """No fields: the CSRF token is the whole form."""


class SettleForm(FlaskForm):
    fbr_number = StringField(
        "FBR invoice number", [InputRequired(message="Type the number FBR shows."), Length(max=64)]
    )
    note = TextAreaField("Note (where you found it)", [Optional(), Length(max=300)])
