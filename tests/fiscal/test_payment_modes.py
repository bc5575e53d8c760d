"""FBR's PaymentMode comes from one table (ismartsync/fiscal/payment_modes.py), which the README and Settings → FBR
show as it is: a merchant's integrator confirms what is actually sent."""

from __future__ import annotations

from pathlib import Path

import pytest

from ismartsync.fiscal.payment_modes import MIXED_RULE, PAYMENT_MODES, payment_mode, payment_modes_markdown
from ismartsync.models import Tender
from tests.markup import text_of

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_tender_kind_has_one_row_and_those_fbr_does_not_name_are_unverified():
    assert [row.tender for row in PAYMENT_MODES] == list(Tender)
    assert {row.tender: row.evidence for row in PAYMENT_MODES} == {
        Tender.CASH: "P",
        Tender.CARD: "P",
        Tender.BANK: "U",
        Tender.WALLET: "U",
        Tender.STORE_CREDIT: "U",
        Tender.EXCHANGE: "U",
    }


@pytest.mark.parametrize(
    ("tenders", "mode"),
    [([], 1)]
    + [([row.tender.value, row.tender.value], row.code) for row in PAYMENT_MODES]
    + [(["cash", "wallet"], 5), (["bank", "wallet"], 5)],
)
def test_the_payload_rule_reads_the_table(tenders, mode):
    assert payment_mode(tenders) == mode


def test_the_readme_prints_the_table_the_payload_reads():
    readme = "\n".join(line.strip() for line in README.read_text().splitlines())
    assert payment_modes_markdown() in readme, (
        "README.md's PaymentMode table differs from ismartsync/fiscal/payment_modes.py; put this in its place:\n"
        + payment_modes_markdown()
    )


def test_settings_fbr_shows_the_table_for_the_integrator(browser, owner):
    browser.sign_in(owner)

    shown = text_of(browser.get("/settings/fbr").get_data(as_text=True), "fbr-payment-modes")

    for row in PAYMENT_MODES:
        assert f"{row.tender.label} {row.code} ({row.fbr_name})" in shown
    unverified = sum(row.evidence == "U" for row in PAYMENT_MODES) + 1  # and the rule for two or more kinds
    assert shown.count("To confirm") == unverified == 5 and MIXED_RULE in shown
