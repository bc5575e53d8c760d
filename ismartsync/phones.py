"""Pakistani mobile numbers: one parser (on `phonenumbers`) for every way people type them, and the forms we keep,
show and link them in. Forms, services and templates all go through here, so they agree on what a mobile is.

Only a Pakistani mobile is taken: a landline, a foreign number or an extension is not one (a wallet, a customer's
number for the till and a WhatsApp chat all need a mobile). What is accepted is 0-9 digits with the separators
people write (spaces, dashes, dots, brackets) and a +92, 0092, 92 or 0 in front; letters and other scripts' digits
are refused like in every number field (`ismartsync/inputs.py`).
"""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

NOT_A_MOBILE = "Enter a Pakistani mobile, e.g. 0300 1234567."
REGION = "PK"
COUNTRY_CODE = 92
# What a typed mobile may hold besides its digits: phonenumbers would also read letters as keypad digits ("JAZZ").
_TYPED = re.compile(r"\+?[0-9 ().-]+")


def parse_mobile(raw: str | None) -> str | None:
    """The Pakistani mobile number `raw` spells, in E.164 (+923001234567); None when it is not one."""
    text = (raw or "").strip()
    if not _TYPED.fullmatch(text) or not any(c.isdigit() for c in text):
        return None
    # "92 300 1234567" and "923001234567" are the country code without the plus: phonenumbers reads only "+92".
    digits = re.sub(r"[^0-9]", "", text)
    if not text.startswith(("+", "0")) and digits.startswith("92") and len(digits) == 12:
        text = "+" + text
    try:
        number = phonenumbers.parse(text, REGION)
    except NumberParseException:
        return None
    if (
        number.country_code != COUNTRY_CODE
        or number.extension
        or not phonenumbers.is_valid_number(number)
        or phonenumbers.number_type(number) != PhoneNumberType.MOBILE
    ):
        return None
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def _national_digits(e164: str) -> str:
    if not e164.startswith(f"+{COUNTRY_CODE}3") or len(e164) != 13:
        raise ValueError(f"not a Pakistani mobile in E.164: {e164!r}")
    return "0" + e164[3:]


def local_form(e164: str) -> str:
    """03001234567: how a customer's mobile is kept and printed, and found again however it is typed."""
    return _national_digits(e164)


def spaced_form(e164: str) -> str:
    """0300 1234567: how a wallet's number is shown at the till and in settings."""
    digits = _national_digits(e164)
    return f"{digits[:4]} {digits[4:]}"


def whatsapp_number(e164: str) -> str:
    """923001234567: the number as a wa.me link takes it (international, without the plus)."""
    _national_digits(e164)
    return e164[1:]


def mobile_filter(raw: str | None) -> str:
    """Jinja filter `mobile`: a phone as stored or typed, shown in its local form when it is a Pakistani mobile (as
    the receipt prints a customer's), anything else as it is."""
    e164 = parse_mobile(raw)
    return local_form(e164) if e164 else (raw or "")
