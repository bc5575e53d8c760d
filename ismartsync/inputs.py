"""What a request may carry into the app: ids within the database's range, numbers in plain digits, dates in a
plausible year, clean text, and a "next" address that stays on this site.

Every value a person or a client sends passes one of these at the edge, so no view or form has to remember that
PostgreSQL's `integer` stops at 2,147,483,647, that its text cannot hold a NUL byte, or that Python's `int()`
reads "٣" as 3.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import Flask
from werkzeug.datastructures import ImmutableMultiDict, iter_multi_items
from werkzeug.routing import IntegerConverter, Map, UnicodeConverter

# The largest id of a row: PostgreSQL's `integer` (the id columns' type).
MAX_ID = 2**31 - 1
# Pages past this hold nothing anyone reads; the offset it makes stays far inside the database's range.
MAX_PAGE = 10_000
# Dates people type or pick: anything outside these years is a slip (and would overflow the day arithmetic).
FIRST_YEAR, LAST_YEAR = 2000, 2100

# C0 control characters and DEL, except tab, line feed and carriage return (a textarea's line breaks arrive as CR LF).
#
# They are removed, not refused. No key types them and no field of ours means anything by them (names, codes, notes,
# search terms, PINs); they arrive pasted from a spreadsheet or a PDF, or from someone probing. Refusing them here,
# before any form exists, could only answer with a bare 400 that throws away everything the person typed for a
# character they cannot see; removing them keeps the form and what it meant. NUL in particular must never reach
# PostgreSQL, which refuses it in text (a 500). Nothing we store or compare depends on these characters.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_PLAIN_WHOLE = re.compile(r"[+-]?[0-9]+")


def clean_text(value: str) -> str:
    """The text without the control characters no field of ours takes."""
    return CONTROL_CHARACTERS.sub("", value)


def _clean(value: Any) -> Any:
    """Text cleaned, lists and objects (a JSON body) through and through; files and numbers as they are."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    return value


class CleanParams(ImmutableMultiDict):  # type: ignore[type-arg]
    """The query string's and the form's values (and names), as every view and form reads them: control characters
    removed when the request is parsed, so that nothing after it ever sees one."""

    def __init__(self, mapping: Any = None) -> None:
        items: Iterable[tuple[Any, Any]] = iter_multi_items(mapping) if mapping is not None else ()
        super().__init__([(_clean(k), _clean(v)) for k, v in items])


class CleanParsing:
    """Mixed into the app's request class: the query string, the form and a JSON body (which Flask-WTF reads as the
    form) come out of parsing clean."""

    parameter_storage_class = CleanParams

    def get_json(self, *args: Any, **kwargs: Any) -> Any:
        return _clean(super().get_json(*args, **kwargs))  # type: ignore[misc]


class IdConverter(IntegerConverter):
    """`<int:…>` in every route: an id from 1 to MAX_ID in ASCII digits; anything else matches no route (404)."""

    regex = r"[0-9]+"

    def __init__(self, map: Map, fixed_digits: int = 0, min: int = 1, max: int = MAX_ID, signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=False)


class SegmentConverter(UnicodeConverter):
    """A plain `<name>` path segment (tokens, dates, weeks): no control characters, or no route matches (404)."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        super().__init__(map, *args, **kwargs)
        self.regex = self.regex.replace("[^/]", r"[^/\x00-\x1f\x7f]")


class NumberError(ValueError):
    """Not a number we take; the message is fit to show beside the field. `other_digits`: it was typed in
    another script's digits (the one case a field's own "not a number" message would not explain)."""

    def __init__(self, message: str, other_digits: bool = False) -> None:
        super().__init__(message)
        self.other_digits = other_digits


def parse_whole(raw: Any, low: int = -MAX_ID, high: int = MAX_ID) -> int:
    """A whole number in ASCII digits within [low, high]; raise NumberError saying what is wrong otherwise.

    Other scripts' digits ("٣", "۳", "３") are refused rather than read: a till, a receipt and FBR all print 0–9,
    so a number typed in another script is a slip on the keyboard, and the person should see it before it counts.
    """
    text = str(raw if raw is not None else "").strip()
    if not _PLAIN_WHOLE.fullmatch(text):
        raise _not_a_number(text, "a whole number")
    # Thousands of digits would make int() itself refuse (or work hard): anything that long is out of range anyway.
    value = int(text) if len(text) <= 40 else (high + 1 if text[0] != "-" else low - 1)
    if not low <= value <= high:
        raise NumberError(f"Enter a number from {low:,} to {high:,}.")
    return value


def parse_decimal(raw: Any) -> Decimal:
    """A decimal number in ASCII digits (an amount, a rate); raise NumberError otherwise. Ranges are the field's."""
    text = str(raw if raw is not None else "").strip()
    if not _PLAIN_NUMBER.fullmatch(text):
        raise _not_a_number(text, "a number")
    try:
        return Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only what Decimal reads
        raise _not_a_number(text, "a number") from exc


def _not_a_number(text: str, what: str) -> NumberError:
    if any(c.isdigit() for c in text) and not text.isascii():
        return NumberError(f"Type {what} with the digits 0–9.", other_digits=True)
    return NumberError(f"Enter {what}.")


def parse_id(raw: Any) -> int | None:
    """A row id from a form or a query string, or None when it cannot be one (empty, not digits, out of range)."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw if 1 <= raw <= MAX_ID else None
    try:
        return parse_whole(raw, 1, MAX_ID)
    except NumberError:
        return None


def as_id(raw: Any) -> int:
    """`coerce=` for a WTForms choice of rows: 0 is the "Choose…" placeholder, anything not an id is invalid (422)."""
    if raw in (0, "0"):
        return 0
    ident = parse_id(raw)
    if ident is None:
        raise ValueError("Not a valid choice.")
    return ident


def as_whole(raw: Any) -> int:
    """`coerce=` for a WTForms choice of numbers (minutes, days of the week): digits 0–9 only."""
    return parse_whole(raw)


def page_number(raw: Any) -> int:
    """`type=` for a `?page=` argument: a page from 1 to MAX_PAGE, a number beyond either end clamped to it."""
    try:
        return parse_whole(raw, 1, MAX_PAGE)
    except NumberError:
        text = str(raw).strip()
        past_the_end = _PLAIN_WHOLE.fullmatch(text) and not text.startswith("-") and text.strip("+0")
        return MAX_PAGE if past_the_end else 1


def parse_day(raw: str) -> date | None:
    """A YYYY-MM-DD date from a form or URL, or None when it is not one (or not in a plausible year)."""
    try:
        day = datetime.strptime(raw.strip(), "%Y-%m-%d").date()
    except ValueError:
        return None
    return day if FIRST_YEAR <= day.year <= LAST_YEAR else None


def safe_next(target: str | None, default: str) -> str:
    """`target` when it is a path on this site, else `default`: never a way to send someone to another host.

    Browsers drop tabs and newlines inside a URL and read a backslash as a slash, so "/%09/evil.example" (a tab once
    the query string is decoded) and "/%5Cevil.example" both lead off-site. Anything with a scheme, a host, a
    backslash, a control character or a leading "//" (as sent, or once percent-decoded) is refused.
    """
    if not target or not target.startswith("/"):
        return default
    for candidate in (target, unquote(target)):
        if "\\" in candidate or candidate.startswith("//"):
            return default
        if any(unicodedata.category(ch) == "Cc" for ch in candidate):
            return default
        parts = urlsplit(candidate)
        if parts.scheme or parts.netloc:
            return default
    return target


def init_app(app: Flask) -> None:
    """Before any blueprint adds its routes: every `<int:…>` and `<…>` segment goes through the converters above."""
    # On top of the request class the extensions set (htmx's adds `request.htmx`), so init after them.
    app.request_class = type("CleanRequest", (CleanParsing, app.request_class), {})
    app.url_map.converters.update(int=IdConverter, default=SegmentConverter, string=SegmentConverter)
