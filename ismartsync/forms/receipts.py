"""Sending a receipt to the customer."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField
from wtforms.validators import Email, InputRequired, Length


class EmailReceiptForm(FlaskForm):
    email = EmailField(
        "Customer's email",
        [
            InputRequired(message="Type the customer's email address."),
            Email(check_deliverability=False, message="That is not an email address."),
            Length(max=254),
        ],
    )
