"""Business profile, selling, payment type, branch, counter, device and FBR forms."""

from __future__ import annotations

from decimal import Decimal

from flask_wtf import FlaskForm
from wtforms import BooleanField, Field, PasswordField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from ismartsync.forms.fields import AmountField, WholeNumberField
from ismartsync.models import Counter, Tender
from ismartsync.models.merchant import MAX_LINK_DAYS, MIN_LINK_DAYS, FiscalBackendKind, FiscalEnvironment

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
            Regexp(r"^([0-9]{7}(-[0-9])?|[0-9]{13})$", message="NTN is 7 digits (e.g. 1234567-8), or a 13-digit CNIC."),
        ],
    )
    strn = StringField("STRN", [Optional(), Regexp(r"^[0-9-]{12,17}$", message="STRN is 13 digits.")])
    tax_office = StringField("Tax office (RTO / LTO)", [Optional(), Length(max=120)])
    address = TextAreaField("Registered address", [Optional(), Length(max=300)])
    phone = StringField("Phone", [Optional(), Length(max=30)])
    time_zone = SelectField("Time zone", choices=TIME_ZONES)

    def validate_strn(self, field: StringField) -> None:
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


def at_most_two_decimals(form: FlaskForm, field: Field) -> None:
    if field.data is not None and field.data.is_finite() and field.data.as_tuple().exponent < -2:
        raise ValidationError("Use at most 2 decimal places.")


def percent_to_bp(percent: Decimal) -> int:
    """A percentage with at most 2 decimals as basis points: 17.5 → 1750."""
    return int(percent * 100)


def bp_to_percent(bp: int) -> Decimal:
    """Basis points as the percentage the form shows: 1750 → 17.5."""
    return Decimal(bp) / 100


class SellingForm(FlaskForm):
    """Percentages and rupees as typed; the view turns them into basis points and paisa."""

    prices_include_tax = BooleanField("Prices include sales tax")
    default_tax_rate = AmountField(
        "Standard sales tax rate (%)", [InputRequired(), NumberRange(min=0, max=100), at_most_two_decimals], places=2
    )
    negative_stock_policy = SelectField(
        "When a sale would take branch stock below zero",
        choices=[
            SelectChoice("warn", "Sell, and warn the cashier"),
            SelectChoice("block", "Do not sell"),
        ],
    )
    pos_fee = AmountField(
        "FBR POS service fee per invoice (Rs)",
        [InputRequired(), NumberRange(min=0, max=10, message="Between Rs 0 (off) and Rs 10."), at_most_two_decimals],
        places=2,
    )
    cashier_discount_limit = AmountField(
        "Largest discount a cashier gives without approval (%)",
        [InputRequired(), NumberRange(min=0, max=100), at_most_two_decimals],
        places=2,
    )
    buyer_name_threshold = AmountField(
        "Buyer's name required on sales above (Rs)",
        [
            InputRequired(),
            NumberRange(min=0, max=100_000_000, message="Enter an amount from Rs 0 to Rs 100,000,000."),
            at_most_two_decimals,
        ],
        places=2,
    )
    receipt_link_days = WholeNumberField(
        "Receipt links open for (days)",
        [
            InputRequired(),
            NumberRange(MIN_LINK_DAYS, MAX_LINK_DAYS, f"Enter {MIN_LINK_DAYS} to {MAX_LINK_DAYS:,} days."),
        ],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )


PAYMENT_KINDS = [
    SelectChoice(Tender.BANK.value, "Bank account"),
    SelectChoice(Tender.WALLET.value, "Mobile wallet"),
]


class PaymentMethodForm(FlaskForm):
    """The number and IBAN are checked by the service, which knows the kind."""

    kind = SelectField("Type", choices=PAYMENT_KINDS, default=Tender.BANK.value)
    name = StringField(
        "Bank or wallet name", [InputRequired(), Length(max=80)], render_kw={"list": "payment-method-names"}
    )
    account_number = StringField("Account number, or the wallet's mobile number", [InputRequired(), Length(max=40)])
    account_title = StringField("Account title (optional)", [Optional(), Length(max=120)])
    iban = StringField("IBAN (optional)", [Optional(), Length(max=40)])


class PaymentMethodActiveForm(FlaskForm):
    """The switch-off / switch-on button: `active` is 1 or 0."""

    active = BooleanField(false_values=("", "0", "false", "off"))


def _stripped(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class FbrSettingsForm(FlaskForm):
    """Settings → FBR, the business part. The token is never shown back: blank keeps the saved one."""

    fiscal_backend = SelectField(
        "Report sales to FBR", choices=[SelectChoice(k.value, k.label) for k in FiscalBackendKind]
    )
    fiscal_environment = SelectField("Environment", choices=[SelectChoice(e.value, e.label) for e in FiscalEnvironment])
    fbr_token = PasswordField(
        "Bearer token",
        [Optional(), Length(max=500)],
        filters=[_stripped],
        render_kw={"autocomplete": "new-password", "spellcheck": "false", "autocapitalize": "off"},
    )
    remove_token = BooleanField("Remove the saved token")
    default_pct_code = StringField(
        "Default PCT code",
        [Optional()],
        filters=[_stripped],
        render_kw={"inputmode": "numeric", "maxlength": "10", "placeholder": "e.g. 62044200"},
    )


class CounterFbrForm(FlaskForm):
    """One counter's row in Settings → FBR; the view gives the fields ids of their own, as rows share a page."""

    fbr_enabled = BooleanField("Report this counter's sales")
    fbr_pos_id = StringField(
        "POSID",
        [Optional(), Regexp(r"^[0-9]{1,18}$", message="A POSID is a number of 1 to 18 digits.")],
        filters=[_stripped],
        render_kw={"inputmode": "numeric", "maxlength": "18"},
    )
    fbr_token = PasswordField(
        "Own token (optional)",
        [Optional(), Length(max=500)],
        filters=[_stripped],
        render_kw={"autocomplete": "new-password", "spellcheck": "false", "autocapitalize": "off"},
    )
    remove_token = BooleanField("Remove its own token")

    def for_counter(self, counter_id: int) -> CounterFbrForm:
        """Give every field an id unique on the page (`counter-7-fbr_pos_id`), labels included."""
        for f in self:
            f.id = f"counter-{counter_id}-{f.name}"
            f.label.field_id = f.id
        return self


class TwoFactorPolicyForm(FlaskForm):
    require_two_factor = BooleanField("Owners and managers must sign in with two-factor")


class OnlineCounterForm(FlaskForm):
    """A branch's row in Settings → FBR: the counter whose POSID reports its online orders (blank: none)."""

    counter_id = SelectField("Reports online orders dispatched from here", choices=[])

    def for_branch(self, branch_id: int, counters: list[Counter], current_id: int | None) -> OnlineCounterForm:
        """Offer the branch's FBR counters; ids unique on the page (`branch-7-counter_id`)."""
        self.counter_id.choices = [SelectChoice("", "None: online orders here are not reported")] + [
            SelectChoice(str(c.id), f"{c.name} · POSID {c.fbr_pos_id}") for c in counters
        ]
        if self.counter_id.data is None:
            self.counter_id.data = str(current_id) if current_id else ""
        self.counter_id.id = f"branch-{branch_id}-counter_id"
        self.counter_id.label.field_id = self.counter_id.id
        return self
