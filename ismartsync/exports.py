"""Tabular exports: a header row and data rows as CSV or XLSX bytes, with money, numbers and times typed for each.

Cells are `str`, `int`, `Decimal`, `Money` (paisa, written as rupees with two decimals), aware `datetime` (written
in the merchant's local time) or `date`; None is an empty cell. Text is never read as a formula by a spreadsheet
(OWASP "CSV injection"): in CSV every text cell is quoted, so a separator inside it (a comma, or the semicolon
Excel splits on where it is the list separator) never starts a new cell, and text that a spreadsheet would read
as a formula, at its start or after leading blanks and separators (`=1+1`, ` =1+1`, `;=1+1`, `@SUM(…)`), starts
with an apostrophe. Numbers are written as numbers, negative ones too.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Union
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from ismartsync.money import to_decimal

CSV_MIMETYPE = "text/csv"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONEY_FORMAT = "#,##0.00"
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
XLSX_DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
XLSX_DATE_FORMAT = "yyyy-mm-dd"
# What a spreadsheet reads as the start of a formula (OWASP "CSV injection"), once it has skipped what may come
# before it: blanks, and separators and quotes that can open a new cell. Control characters XLSX refuses.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
_SKIPPED_BEFORE = " \t\r\n,;|\"'\u00a0"
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")  # "-5" or "-1.50" is read as the number it is, not a formula
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass(frozen=True)
class Money:
    """An amount in paisa, exported as rupees: "1234.50" in CSV, 1234.5 formatted #,##0.00 in XLSX."""

    minor: int


Cell = Union[str, int, Decimal, Money, datetime, date, None]  # noqa: UP007 (a runtime alias)


@dataclass(frozen=True)
class Table:
    """What an export holds: its column headers and rows, times shown in `zone`."""

    headers: Sequence[str]
    rows: Iterable[Sequence[Cell]]
    zone: str = "Asia/Karachi"


def _local(value: datetime, zone: str) -> datetime:
    if value.tzinfo is None:
        raise ValueError("export times must be timezone-aware")
    return value.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def _safe_text(value: str) -> str:
    """The text, with an apostrophe first when a spreadsheet would otherwise read it as a formula."""
    if _PLAIN_NUMBER.fullmatch(value):
        return value
    if value.startswith(_FORMULA_START) or value.lstrip(_SKIPPED_BEFORE).startswith(_FORMULA_START):
        return "'" + value
    return value


def _csv_cell(value: Cell, zone: str) -> str | int | Decimal:
    if value is None:
        return ""
    if isinstance(value, Money):
        return to_decimal(value.minor)
    if isinstance(value, int | Decimal):
        return value  # unquoted: a number, negative or not
    if isinstance(value, datetime):
        return _local(value, zone).strftime(DATETIME_FORMAT)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return _safe_text(value)
    return str(value)


def csv_bytes(table: Table) -> bytes:
    """The table as UTF-8 CSV: text quoted, numbers not."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC)
    writer.writerow([_safe_text(h) for h in table.headers])
    for row in table.rows:
        writer.writerow([_csv_cell(v, table.zone) for v in row])
    return buffer.getvalue().encode("utf-8")


def _xlsx_cell(sheet: object, value: Cell, zone: str) -> WriteOnlyCell:
    if isinstance(value, Money):
        cell = WriteOnlyCell(sheet, value=to_decimal(value.minor))
        cell.number_format = MONEY_FORMAT
    elif isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value=_local(value, zone))
        cell.number_format = XLSX_DATETIME_FORMAT
    elif isinstance(value, date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = XLSX_DATE_FORMAT
    elif isinstance(value, str):
        cell = WriteOnlyCell(sheet, value=_ILLEGAL_XML.sub("", value))
        cell.data_type = "s"  # text, even when it starts with "=": never a formula
    else:
        cell = WriteOnlyCell(sheet, value=value)
    return cell


def xlsx_bytes(table: Table, title: str = "Report") -> bytes:
    """The table as one worksheet of an XLSX workbook, headers in bold, money as numbers."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=re.sub(r"[\[\]:*?/\\]", " ", title)[:31] or "Report")
    header = []
    for name in table.headers:
        cell = WriteOnlyCell(sheet, value=name)
        cell.data_type = "s"
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for row in table.rows:
        sheet.append([_xlsx_cell(sheet, v, table.zone) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
