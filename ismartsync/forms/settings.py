"""Business profile, branch, counter and device forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, DecimalField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp

TIME_ZONES = [
    SelectChoice("Asia/Karachi", "Pakistan (Asia/Karachi)"),
    SelectChoice("Asia/Dubai", "UAE (Asia/Dubai)"),
    SelectChoice("UTC", "UTC"),
]


class MerchantForm(FlaskForm):
    legal_name = StringField("Registered business name", [InputRequired(), Length(max=200)])
    brand_name = StringField("Brand name (on receipts)", [InputRequired(), Length(max=120)])
    ntn = StringField(
        "NTN",
        [
            Optional(),
            Regexp(r"^(\d{7}(-\d)?|\d{13})$", message="NTN is 7 digits (e.g. 1234567-8), or a 13-digit CNIC."),
        ],
    )
    strn = StringField("STRN", [Optional(), Regexp(r"^[\d-]{12,17}$", message="STRN is 13 digits.")])
    tax_office = StringField("Tax office (RTO / LTO)", [Optional(), Length(max=120)])
    address = TextAreaField("Registered address", [Optional(), Length(max=300)])
    phone = StringField("Phone", [Optional(), Length(max=30)])
    time_zone = SelectField("Time zone", choices=TIME_ZONES)
    negative_stock_policy = SelectField(
        "When a sale would take branch stock below zero",
        choices=[
            SelectChoice("warn", "Sell, and warn the cashier"),
            SelectChoice("block", "Do not sell"),
        ],
    )
    prices_include_tax = BooleanField("Prices include sales tax")
    default_tax_rate = DecimalField(
        "Standard sales tax rate (%)", [InputRequired(), NumberRange(min=0, max=100)], places=2
    )

    def validate_strn(self, field: StringField) -> None:
        from wtforms.validators import ValidationError

        if field.data and len(field.data.replace("-", "")) != 13:
            raise ValidationError("STRN is 13 digits.")


class BranchForm(FlaskForm):
    name = StringField("Branch name", [InputRequired(), Length(max=120)])
    code = StringField(
        "Short code", [InputRequired(), Regexp(r"^[A-Za-z0-9-]{2,12}$", message="2–12 letters, digits or dashes.")]
    )
    address = TextAreaField("Address", [Optional(), Length(max=300)])
    phone = StringField("Phone", [Optional(), Length(max=30)])
    active = BooleanField("Open (selling allowed)", default=True)


class CounterForm(FlaskForm):
    name = StringField("Counter name", [InputRequired(), Length(max=60)])
    active = BooleanField("In use", default=True)


class PairDeviceForm(FlaskForm):
    label = StringField("Name this tablet", [Optional(), Length(max=80)], default="Tablet")
