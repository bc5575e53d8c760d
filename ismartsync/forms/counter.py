"""Forms of the counter: starting its register, discounts, prices, customers, parking and paying."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectChoice, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from ismartsync.forms.fields import AmountField, PakistaniMobile
from ismartsync.inputs import as_id


class StartRegisterForm(FlaskForm):
    opening_float = AmountField(
        "Opening float (Rs)",
        places=2,
        validators=[
            InputRequired("Enter the cash in the drawer, 0 if none."),
            NumberRange(min=0, max=10_000_000, message="Enter an amount between Rs 0 and Rs 10,000,000."),
        ],
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )


def _amount(label: str, required: bool = False) -> AmountField:
    first = InputRequired(f"Enter the {label.lower()}.") if required else Optional()
    return AmountField(
        label,
        places=2,
        validators=[first, NumberRange(min=0, max=100_000_000, message="Enter an amount from Rs 0 to Rs 100,000,000.")],
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )


class DiscountForm(FlaskForm):
    """A discount on a line or on the whole cart; an empty value clears it."""

    kind = RadioField(
        "Discount in", choices=[SelectChoice("percent", "%"), SelectChoice("amount", "Rs")], default="percent"
    )
    value = AmountField(
        "Discount",
        places=2,
        validators=[
            Optional(),
            NumberRange(min=0, max=100_000_000, message="Enter a discount from 0 to Rs 100,000,000 (or 0–100 %%)."),
        ],
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )

    def validate_value(self, field: AmountField) -> None:
        if field.data is not None and self.kind.data == "percent" and field.data > 100:
            raise ValidationError("Enter a percentage from 0 to 100.")


class PriceForm(FlaskForm):
    price = _amount("New unit price (Rs)", required=True)


class ParkForm(FlaskForm):
    label = StringField(
        "Name it (optional)",
        validators=[Length(max=80)],
        render_kw={"placeholder": "e.g. Mrs Khan, fitting", "autocomplete": "off"},
    )


class CustomerForm(FlaskForm):
    """A customer created at the till: a name and a phone, CNIC or NTN for an identified buyer."""

    name = StringField("Name", validators=[InputRequired("Enter the customer's name."), Length(max=200)])
    phone = StringField(
        "Mobile",
        validators=[
            InputRequired("Enter a mobile number."),
            PakistaniMobile(),
        ],
        render_kw={"inputmode": "tel", "autocomplete": "off"},
    )
    cnic = StringField(
        "CNIC (optional)",
        validators=[
            Optional(),
            Regexp(r"^[0-9]{5}-?[0-9]{7}-?[0-9]$", message="A CNIC has 13 digits: 35202-1234567-1."),
        ],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    ntn = StringField(
        "NTN (optional)",
        validators=[
            Optional(),
            Regexp(r"^[0-9]{7}(-?[0-9])?$", message="An NTN has 7 digits, and may end in -check digit."),
        ],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )


class PayForm(FlaskForm):
    """The tenders for one checkout: any mix of cash, card, one bank account, one wallet and the customer's store
    credit."""

    sale_uuid = HiddenField(validators=[InputRequired("The cart was lost. Start a new sale.")])
    cash = _amount("Cash received (Rs)")
    card = _amount("Card (Rs)")
    card_reference = StringField("Card slip no.", validators=[Optional(), Length(max=80)])
    bank = _amount("Bank transfer (Rs)")
    bank_method = SelectField("Into account", coerce=as_id, validate_choice=False)
    bank_reference = StringField("Transfer ref.", validators=[Optional(), Length(max=80)])
    wallet = _amount("Wallet (Rs)")
    wallet_method = SelectField("Wallet", coerce=as_id, validate_choice=False)
    wallet_reference = StringField("Transaction ID", validators=[Optional(), Length(max=80)])
    store_credit = _amount("Store credit (Rs)")
    salesperson = SelectField("Salesperson", coerce=as_id, validate_choice=False)
