"""The drawer reports as A4 PDFs: a shift's X or Z report, a register's report and a branch's day close."""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from ismartsync.documents.render import render_pdf
from ismartsync.models import Branch, Register, Shift

_UNSAFE_IN_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


def _safe(*parts: str) -> str:
    """Parts joined by "-", with anything a file name or a Content-Disposition header could trip on replaced."""
    return "-".join(_UNSAFE_IN_FILENAME.sub("-", part).strip("-.") for part in parts if part)


def _local_date(register: Register) -> str:
    return register.opened_at.astimezone(ZoneInfo(register.counter.branch.merchant.time_zone)).date().isoformat()


def _till(register: Register) -> tuple[str, str]:
    return register.counter.branch.code, f"C{register.counter_id}"


def shift_filename(shift: Shift) -> str:
    """`Z-GUL-C1-2026-12-04-Sana-Iqbal.pdf` once counted closed, `X-…` while the shift is open."""
    kind = "X" if shift.is_open else "Z"
    return _safe(kind, *_till(shift.register), _local_date(shift.register), shift.user.full_name) + ".pdf"


def register_filename(register: Register) -> str:
    kind = "X" if register.is_open else "Z"
    return _safe(kind, "register", *_till(register), _local_date(register)) + ".pdf"


def day_filename(branch: Branch, day: date) -> str:
    return _safe("Day", branch.code, day.isoformat()) + ".pdf"


def shift_report_pdf(context: dict[str, Any]) -> bytes:
    """The shift's X or Z report; `context` as the screen has it (views.shifts), so both print the same."""
    return render_pdf("documents/shift_report.html", **context)


def register_report_pdf(context: dict[str, Any]) -> bytes:
    return render_pdf("documents/register_report.html", **context)


def day_report_pdf(context: dict[str, Any]) -> bytes:
    return render_pdf("documents/day_report.html", **context)
