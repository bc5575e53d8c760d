"""Sign-up, sign-in, two-factor, password and invitation forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import Email, InputRequired, Length, Optional, Regexp

PIN_VALIDATORS = [Regexp(r"^[0-9]{4,6}$", message="A PIN is 4 to 6 digits.")]


class SignUpForm(FlaskForm):
    legal_name = StringField("Registered business name", [InputRequired(), Length(max=200)])
    brand_name = StringField("Brand name (on receipts)", [InputRequired(), Length(max=120)])
    owner_name = StringField("Your name", [InputRequired(), Length(max=120)])
    email = EmailField("Email", [InputRequired(), Email(check_deliverability=False), Length(max=254)])
    password = PasswordField("Password", [InputRequired(), Length(min=10, message="Use at least 10 characters.")])


class SignInForm(FlaskForm):
    email = EmailField("Email", [InputRequired(), Email(check_deliverability=False)])
    password = PasswordField("Password", [InputRequired()])


class CodeForm(FlaskForm):
    code = StringField(
        "6-digit code", [InputRequired(), Regexp(r"^\s*[0-9]{3}\s?[0-9]{3}\s*$", message="Enter the 6 digits.")]
    )


class ForgotPasswordForm(FlaskForm):
    email = EmailField("Email", [InputRequired(), Email(check_deliverability=False)])


class SetPasswordForm(FlaskForm):
    password = PasswordField("New password", [InputRequired(), Length(min=10, message="Use at least 10 characters.")])


class AcceptInviteForm(SetPasswordForm):
    pin = PasswordField("Counter PIN (4–6 digits, optional)", [Optional(), *PIN_VALIDATORS])


class PinForm(FlaskForm):
    pin = PasswordField("PIN", [InputRequired(message="Enter your PIN."), *PIN_VALIDATORS])


class ConfirmIdentityForm(FlaskForm):
    """Asked before changing how one signs in: the password, and a code when two-factor is on."""

    password = PasswordField(
        "Your password", [InputRequired(message="Enter your password.")], render_kw={"autocomplete": "current-password"}
    )
    code = StringField(
        "6-digit code from your app",
        [Optional(), Regexp(r"^\s*\d{3}\s?\d{3}\s*$", message="Enter the 6 digits.")],
        render_kw={"inputmode": "numeric", "autocomplete": "one-time-code"},
    )


class ChangePinForm(ConfirmIdentityForm):
    pin = PasswordField("New PIN", [InputRequired(message="Enter your PIN."), *PIN_VALIDATORS])
