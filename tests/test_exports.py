"""CSV and XLSX exports: read back the way a spreadsheet or a script would read them."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from ismartsync.exports import Money, Table, csv_bytes, xlsx_bytes

HEADERS = ["when", "who", "amount", "shifts", "share %", "day"]
ROWS = [
    [datetime(2026, 1, 14, 19, 30, tzinfo=UTC), "Sana Iqbal", Money(123450), 3, Decimal("12.5"), date(2026, 1, 15)],
    [datetime(2026, 1, 15, 5, 0, tzinfo=UTC), '=HYPERLINK("x")', Money(-5), 0, None, None],
]


def test_csv_has_money_as_rupee_text_and_times_in_local_time():
    rows = list(csv.reader(io.StringIO(csv_bytes(Table(HEADERS, ROWS)).decode("utf-8"))))
    assert rows[0] == HEADERS
    assert rows[1] == ["2026-01-15 00:30:00", "Sana Iqbal", "1234.50", "3", "12.5", "2026-01-15"]
    # A name that looks like a formula stays text; a negative amount stays a number.
    assert rows[2] == ["2026-01-15 10:00:00", '\'=HYPERLINK("x")', "-0.05", "0", "", ""]


def test_xlsx_has_money_as_numbers_with_two_decimals_and_local_times():
    book = load_workbook(io.BytesIO(xlsx_bytes(Table(HEADERS, ROWS), title="Shifts")))
    sheet = book["Shifts"]
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0] == HEADERS
    assert values[1][:4] == [datetime(2026, 1, 15, 0, 30), "Sana Iqbal", 1234.5, 3]
    assert values[1][4] == 12.5 and values[1][5] == datetime(2026, 1, 15)
    assert values[2][1] == '=HYPERLINK("x")' and values[2][2] == -0.05
    assert sheet.cell(row=2, column=3).number_format == "#,##0.00"
    assert sheet.cell(row=2, column=3).data_type == "n"
    assert sheet.cell(row=3, column=2).data_type == "s"  # never a formula
    assert sheet.cell(row=1, column=1).font.bold


def test_xlsx_drops_characters_a_workbook_cannot_hold():
    book = load_workbook(io.BytesIO(xlsx_bytes(Table(["note"], [["bell\x07 rang"]]))))
    assert book.active.cell(row=2, column=1).value == "bell rang"


def test_naive_times_are_refused_rather_than_guessed():
    with pytest.raises(ValueError):
        csv_bytes(Table(["when"], [[datetime(2026, 1, 1)]]))


# Text a spreadsheet would take for a formula, at the start or after blanks and separators that open a new cell.
FORMULA_TEXT = [";=1+1", " =1+1", ",=1+1", "\t=1+1", "a;=1+1", "@SUM(A1)", "+1", "-1+1", '";=1+1', "x\n=1+1", "|=1"]


def _formula_cells(cells: list[str]) -> list[str]:
    return [c for c in cells if c.lstrip(" \t\r\n").startswith(("=", "+", "-", "@"))]


@pytest.mark.parametrize("separator", [",", ";"])
def test_csv_text_is_never_a_formula_whichever_separator_the_spreadsheet_splits_on(separator):
    """Excel splits on ";" where that is the list separator (much of Europe): no text cell may then start a
    formula in a cell of its own."""
    data = csv_bytes(Table(["note"], [[text] for text in FORMULA_TEXT])).decode("utf-8")
    cells = [cell for row in csv.reader(io.StringIO(data), delimiter=separator) for cell in row]
    assert _formula_cells(cells) == []
    if separator == ",":
        kept = {"a;=1+1", "x\n=1+1"}  # quoted, so the separator or line break inside cannot open a cell of its own
        assert cells[1:] == [text if text in kept else "'" + text for text in FORMULA_TEXT]


def test_csv_numbers_stay_numbers_and_negative_ones_are_not_neutralised():
    data = csv_bytes(Table(["amount", "count", "note"], [[Money(-50000), -3, "-12.50"]])).decode("utf-8")
    assert data.splitlines()[1] == '-500.00,-3,"-12.50"'
