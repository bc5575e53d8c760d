"""Settings → Returns: the return window, returns at another branch, the refund a supervisor approves, and the
merchant's return reasons."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ismartsync.forms.fields import AmountField, WholeNumberField
from ismartsync.services.returns.settings import MAX_WINDOW_DAYS, MIN_WINDOW_DAYS


class ReturnSettingsForm(FlaskForm):
    """Days and rupees as typed; the view turns the amount into paisa (blank or 0: no refund limit)."""

    return_window_days = WholeNumberField(
        "Return window (days after the sale)",
        [
            InputRequired("Enter the number of days."),
            NumberRange(MIN_WINDOW_DAYS, MAX_WINDOW_DAYS, f"Enter {MIN_WINDOW_DAYS} to {MAX_WINDOW_DAYS} days."),
        ],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    returns_at_other_branches = BooleanField("Any branch takes back what another branch sold")
    refund_approval = AmountField(
        "A supervisor approves refunds above (Rs, blank for no limit)",
        places=2,
        validators=[Optional(), NumberRange(min=0, max=100_000_000, message="Enter Rs 0 to Rs 100,000,000.")],
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )


class ReturnReasonForm(FlaskForm):
    """A reason to add or change; its code stays what it was made with, so past returns keep their meaning."""

    label = StringField(
        "Reason", [InputRequired("Give the reason a name."), Length(max=80, message="Up to 80 characters.")]
    )
    sellable = BooleanField("Can be sold again", default=True)
    restock = BooleanField("Back on the shelf by default", default=True)
    active = BooleanField("Offered at the counter", default=True)
