"""Forms of the counter: starting its register."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DecimalField
from wtforms.validators import InputRequired, NumberRange


class StartRegisterForm(FlaskForm):
    opening_float = DecimalField(
        "Opening float (Rs)",
        places=2,
        validators=[
            InputRequired("Enter the cash in the drawer, 0 if none."),
            NumberRange(min=0, max=10_000_000, message="Enter an amount between Rs 0 and Rs 10,000,000."),
        ],
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )
