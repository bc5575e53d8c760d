"""Fields and validators shared by the forms: numbers read by `ismartsync.inputs` and mobiles by `ismartsync.phones`,
so every form refuses the same things alike."""

from __future__ import annotations

from typing import Any

from wtforms import DecimalField, IntegerField
from wtforms.validators import ValidationError

from ismartsync.inputs import MAX_ID, NumberError, parse_decimal, parse_whole
from ismartsync.phones import NOT_A_MOBILE, parse_mobile


class AmountField(DecimalField):
    """A decimal in the digits 0–9 ("٣", "NaN", "Infinity", "1e5" are refused beside the field, not read)."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        try:
            self.data = parse_decimal(valuelist[0])
        except NumberError as exc:
            self.data = None
            raise ValueError(_message(self, exc, "Not a valid decimal value.")) from exc


class WholeNumberField(IntegerField):
    """A whole number in the digits 0–9, within the database's integer range; the field's own range is a
    NumberRange validator, as for IntegerField."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        try:
            self.data = parse_whole(valuelist[0], -MAX_ID, MAX_ID)
        except NumberError as exc:
            self.data = None
            raise ValueError(_message(self, exc, "Not a valid integer value.")) from exc


def _message(field: Any, error: NumberError, default: str) -> str:
    """Digits of another script are named as such; anything else keeps the field's usual words."""
    return str(error) if error.other_digits else field.invalid_value_message or field.gettext(default)


class PakistaniMobile:
    """Validator: the field holds a Pakistani mobile, in any spelling `ismartsync.phones.parse_mobile` takes (the
    services parse it again with the same function, so the form and the service never disagree)."""

    def __call__(self, form: Any, field: Any) -> None:
        if parse_mobile(field.data) is None:
            raise ValidationError(NOT_A_MOBILE)
