"""Forms of fulfilment at the branches: a scanned item, a dispatch, and the workflow settings."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectChoice, SelectField, StringField
from wtforms.validators import Length

from ismartsync.models.fulfilment import WORKFLOW_LABELS
from ismartsync.services.online_orders.fulfilment import COURIER_NAMES

WORKFLOW_CHOICES = [(w.value, label) for w, label in WORKFLOW_LABELS.items()]


class ScanForm(FlaskForm):
    # No "required" in the page: the same form carries the Dispatch button, which needs no code.
    code = StringField("Scan an item", [Length(max=64)])


class DispatchForm(FlaskForm):
    key = HiddenField()  # one per page load: a double submit is one dispatch
    courier = SelectField("Courier", choices=[SelectChoice(c, c) for c in COURIER_NAMES])
    tracking_number = StringField("Tracking number", [Length(max=30)])  # its shape is checked by the service


class WorkflowForm(FlaskForm):
    workflow = RadioField(
        "How online orders are fulfilled", choices=[SelectChoice(value, label) for value, label in WORKFLOW_CHOICES]
    )
