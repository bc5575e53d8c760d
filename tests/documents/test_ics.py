"""iCalendar files: lines folded at 75 octets without cutting a character, text values escaped."""

from __future__ import annotations

from ismartsync.documents import ics


def test_folding_never_cuts_a_character_in_two():
    line = "SUMMARY:" + "شفٹ" * 40
    folded = ics.fold(line)
    assert all(len(part.encode()) <= 75 for part in folded.split("\r\n"))
    assert folded.replace("\r\n ", "") == line
    assert ics.escape_text("a\\b;c,d\ne") == "a\\\\b\\;c\\,d\\ne"
