"""Sending a receipt to the customer."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField
from wtforms.validators import Email, InputRequired, Length


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class EmailReceiptForm(FlaskForm):
    # Stripped first: a tablet keyboard's autocomplete leaves a space after the address.
    email = EmailField(
        "Customer's email",
        filters=[_strip],
        validators=[
            InputRequired(message="Type the customer's email address."),
            Email(check_deliverability=False, message="That is not an email address."),
            Length(max=254),
        ],
    )
