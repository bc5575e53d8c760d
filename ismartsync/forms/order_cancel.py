"""The form that cancels an online order: why (Shopify's reasons) and a note for the order's timeline in Shopify."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

from ismartsync.models import CancelReason


class CancelOrderForm(FlaskForm):
    reason = SelectField(
        "Why is it cancelled?",
        choices=[SelectChoice("", "Choose a reason"), *[SelectChoice(r.value, r.label) for r in CancelReason]],
        validators=[InputRequired("Choose why the order is cancelled.")],
    )
    note = TextAreaField(
        "Note for Shopify's order timeline (optional)", validators=[Length(max=255)], render_kw={"rows": 2}
    )

    def validate_reason(self, field: SelectField) -> None:
        if field.data not in {r.value for r in CancelReason}:
            raise ValidationError("Choose why the order is cancelled.")
