"""Forms of the Registers screen: the note of a day close and the reason a closed day is reopened."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import Length

from ismartsync.models.register import DAY_CLOSE_TEXT_LENGTH


class CloseDayForm(FlaskForm):
    note = TextAreaField(
        "Note for the day report (optional)", validators=[Length(max=DAY_CLOSE_TEXT_LENGTH)], render_kw={"rows": 2}
    )


class ReopenDayForm(FlaskForm):
    reason = TextAreaField(
        "Why is the day reopened?",
        validators=[Length(max=DAY_CLOSE_TEXT_LENGTH)],  # required by the service, which says so beside the field
        render_kw={"rows": 3, "required": True},
    )
