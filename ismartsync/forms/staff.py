"""Member, role and permission forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import Email, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ismartsync.inputs import as_id
from ismartsync.permissions import Effect


class CheckboxList(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form: FlaskForm) -> None:
        # Unknown ids are answered with 404 by the tenant loader, not as a form error.
        return None


class MemberForm(FlaskForm):
    full_name = StringField("Full name", [InputRequired(), Length(max=120)])
    # validate_choice=False: another merchant's id is answered with 404 by the tenant loader, like the lists below.
    role_id = SelectField("Role", coerce=as_id, validate_choice=False)
    all_branches = BooleanField("Every branch (now and future)")
    branch_ids = CheckboxList("Branches", coerce=as_id)
    counter_ids = CheckboxList("Only these counters (optional)", coerce=as_id)

    def validate_branch_ids(self, field: CheckboxList) -> None:
        from wtforms.validators import ValidationError

        if not self.all_branches.data and not field.data:
            raise ValidationError("Choose at least one branch, or every branch.")


class InviteForm(MemberForm):
    email = EmailField("Email", [InputRequired(), Email(check_deliverability=False), Length(max=254)])


class RoleForm(FlaskForm):
    name = StringField("Role name", [InputRequired(), Length(max=60)])
    description = StringField("What it is for", [Optional(), Length(max=200)])
    copy_from = SelectField("Start from", coerce=as_id, validate_choice=False)


class GrantForm(FlaskForm):
    permission = StringField(validators=[InputRequired()])
    effect = SelectField(choices=[SelectChoice(e.value, e.label) for e in Effect])
