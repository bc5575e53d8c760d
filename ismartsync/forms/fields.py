"""Fields shared by the forms."""

from __future__ import annotations

from typing import Any

from wtforms import DecimalField


class AmountField(DecimalField):
    """A decimal that is a real number: "NaN", "Infinity" and the like are refused beside the field, not a 500."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        if self.data is not None and not self.data.is_finite():
            self.data = None
            raise ValueError(self.gettext("Not a valid decimal value."))
