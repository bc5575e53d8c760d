"""Forms of the drawer: cash in and out, counting a shift closed, extending a shift, and the cash settings."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectChoice, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ismartsync.forms.fields import AmountField, WholeNumberField
from ismartsync.inputs import as_whole
from ismartsync.models import CashDirection, CashReason
from ismartsync.models.register import DENOMINATIONS, MAX_PIECES

_AMOUNT_KW = {"inputmode": "decimal", "autocomplete": "off"}


class CashLogForm(FlaskForm):
    uuid = HiddenField()
    direction = RadioField(
        "Cash",
        choices=[SelectChoice(d.value, d.label) for d in CashDirection],
        default=CashDirection.OUT.value,
        validators=[InputRequired("Choose cash in or cash out.")],
    )
    reason = SelectField(
        "Reason",
        choices=[SelectChoice(r.value, r.label) for r in CashReason],
        default=CashReason.SAFE_DROP.value,
        validators=[InputRequired("Choose a reason.")],
    )
    amount = AmountField(
        "Amount (Rs)",
        places=2,
        validators=[
            InputRequired("Enter the amount."),
            NumberRange(min=0.01, max=100_000_000, message="Enter an amount above Rs 0."),
        ],
        render_kw=_AMOUNT_KW,
    )
    note = StringField("Note", validators=[Length(max=200)], render_kw={"autocomplete": "off"})


def _pieces(value: int) -> WholeNumberField:
    return WholeNumberField(
        f"Rs {value:,}",
        validators=[Optional(), NumberRange(min=0, max=MAX_PIECES, message=f"0 to {MAX_PIECES:,}.")],
        render_kw={"inputmode": "numeric", "autocomplete": "off", "min": "0"},
    )


class CloseShiftForm(FlaskForm):
    """Count by notes and coins, or type the total; a reason when the count is off by more than the tolerance."""

    method = RadioField(
        "Count",
        choices=[SelectChoice("pieces", "Note by note"), SelectChoice("total", "Total only")],
        default="pieces",
    )
    total = AmountField(
        "Total counted (Rs)",
        places=2,
        validators=[Optional(), NumberRange(min=0, max=100_000_000, message="Enter an amount from Rs 0.")],
        render_kw=_AMOUNT_KW,
    )
    note = StringField("Reason for any difference", validators=[Length(max=300)], render_kw={"autocomplete": "off"})

    def pieces(self) -> dict[int, int]:
        return {value: self[f"d{value}"].data or 0 for value in DENOMINATIONS}


for _value in DENOMINATIONS:
    setattr(CloseShiftForm, f"d{_value}", _pieces(_value))


class ExtendShiftForm(FlaskForm):
    minutes = SelectField(
        "Extend by",
        choices=[SelectChoice("30", "30 minutes"), SelectChoice("60", "1 hour"), SelectChoice("120", "2 hours")],
        default="60",
        coerce=as_whole,
    )


class CashSettingsForm(FlaskForm):
    """Rupees and hours as typed; the view turns them into paisa and minutes."""

    cash_tolerance = AmountField(
        "Over/short tolerance (Rs)",
        places=2,
        validators=[InputRequired(), NumberRange(min=0, max=1_000_000, message="Enter Rs 0 to Rs 1,000,000.")],
        render_kw=_AMOUNT_KW,
    )
    blind_close = BooleanField("Blind close: cashiers count without seeing the expected cash")
    max_shift_hours = AmountField(
        "Longest shift (hours, 0 for no limit)",
        places=2,
        validators=[InputRequired(), NumberRange(min=0, max=24, message="Enter 0 to 24 hours.")],
        render_kw=_AMOUNT_KW,
    )
    shift_grace_minutes = WholeNumberField(
        "Grace after the limit (minutes)",
        validators=[InputRequired(), NumberRange(min=0, max=240, message="Enter 0 to 240 minutes.")],
        render_kw={"inputmode": "numeric"},
    )
    drawer_limit = AmountField(
        "Ask for a safe drop when the drawer holds more than (Rs, 0 for never)",
        places=2,
        validators=[InputRequired(), NumberRange(min=0, max=100_000_000, message="Enter Rs 0 to Rs 100,000,000.")],
        render_kw=_AMOUNT_KW,
    )
