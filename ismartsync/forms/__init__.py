"""WTForms forms, one module per screen area; invalid input re-renders with 422 beside the field."""

from __future__ import annotations

from flask_wtf import FlaskForm

from ismartsync.errors import DomainError


def attach_error(form: FlaskForm, error: DomainError) -> None:
    """Show a business rule's message beside its field, or above the form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message] if isinstance(field.errors, list) else [error.message]
    else:
        form.form_errors.append(error.message)
