"""Roster forms: a branch's roster slot, and rostering a member on a slot."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, SelectChoice, SelectField, StringField, TimeField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from ismartsync.forms.fields import WholeNumberField
from ismartsync.forms.staff import CheckboxList
from ismartsync.inputs import as_id, as_whole
from ismartsync.models.roster import DAY_NAMES, EVERY_DAY, MAX_COVERAGE


class SlotForm(FlaskForm):
    name = StringField("Name", [InputRequired("Give the slot a name."), Length(max=60)])
    start_time = TimeField("Starts", [InputRequired("Enter when the slot starts, like 10:00.")])
    end_time = TimeField(
        "Ends", [InputRequired("Enter when the slot ends, like 16:00.")], description="Before the start: next day."
    )
    days = CheckboxList(
        "Days", coerce=as_whole, choices=[SelectChoice(n, name[:3]) for n, name in enumerate(DAY_NAMES)]
    )
    coverage_target = WholeNumberField(
        "Members wanted", [Optional(), NumberRange(1, MAX_COVERAGE, f"Between 1 and {MAX_COVERAGE}, or empty.")]
    )
    # 0: count every member; another merchant's role id is answered with 404 by the tenant loader.
    coverage_role_id = SelectField("Counting", coerce=as_id, validate_choice=False, default=0)

    def validate_days(self, field: CheckboxList) -> None:
        if not field.data or any(not 0 <= d < 7 for d in field.data):
            raise ValidationError("Choose at least one day.")

    @property
    def days_mask(self) -> int:
        return sum(1 << d for d in set(self.days.data or [])) & EVERY_DAY


class AssignForm(FlaskForm):
    slot_id = WholeNumberField(validators=[InputRequired()])
    work_date = DateField(validators=[InputRequired()])
    # 0 is the "Choose…" placeholder; another merchant's member id is answered with 404 by the tenant loader.
    user_id = SelectField("Member", coerce=as_id, validate_choice=False, default=0)

    def validate_user_id(self, field: SelectField) -> None:
        if not field.data:
            raise ValidationError("Choose a member.")
