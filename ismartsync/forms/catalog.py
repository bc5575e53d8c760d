"""Forms of the catalog: a variant's tax for selling here."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import NumberRange, Optional, Regexp

from ismartsync.forms.fields import AmountField


class VariantTaxForm(FlaskForm):
    tax_rate = AmountField(
        "Tax rate (%)",
        places=2,
        validators=[Optional(), NumberRange(min=0, max=100, message="Enter a rate from 0 to 100 %%.")],
        render_kw={"inputmode": "decimal", "autocomplete": "off", "placeholder": "Standard rate"},
    )
    pct_code = StringField(
        "PCT code",
        validators=[Optional(), Regexp(r"^[0-9]{4}\.?[0-9]{4}$", message="A PCT code has 8 digits, e.g. 6109.1000.")],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    third_schedule = BooleanField("Third Schedule: taxed on the printed retail price")
