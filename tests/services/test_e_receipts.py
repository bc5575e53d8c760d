"""E-receipt rules: the token names one placed sale, a repeat within a minute queues nothing, WhatsApp numbers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from ismartsync.extensions import db
from ismartsync.models import OutgoingEmail
from ismartsync.services.audit import Actor
from ismartsync.services.e_receipts import (
    buyer_mobile,
    email_receipt,
    email_return_receipt,
    receipt_token,
    return_whatsapp_url,
    sale_for_token,
    whatsapp_url,
)
from tests.documents import fixtures
from tests.documents.returns import return_lines

seller, till, items, sale = fixtures.seller, fixtures.till, fixtures.items, fixtures.sale


def test_a_token_names_its_sale(sale):
    assert sale_for_token(db.session, receipt_token(sale)) == sale


def test_a_repeat_within_the_minute_queues_nothing_and_a_later_one_does(cashier, sale):
    actor = Actor(cashier)
    first = email_receipt(db.session, actor, sale, "ayesha@example.pk", "http://x/r/1")
    again = email_receipt(db.session, actor, sale, "ayesha@example.pk", "http://x/r/1")
    assert not first.repeated and again.repeated and again.email.id == first.email.id
    first.email.created_at -= timedelta(minutes=2)
    db.session.flush()
    later = email_receipt(db.session, actor, sale, "ayesha@example.pk", "http://x/r/1")
    assert not later.repeated
    assert db.session.scalar(select(func.count()).select_from(OutgoingEmail)) == 2


def test_another_email_to_the_same_address_is_not_a_repeat(cashier, sale):
    other = OutgoingEmail(
        merchant_id=sale.merchant_id, to_address="ayesha@example.pk", subject="Hi", body_text="Hi", attachments=None
    )
    db.session.add(other)
    db.session.flush()
    assert not email_receipt(db.session, Actor(cashier), sale, "ayesha@example.pk", "http://x/r/1").repeated


@pytest.mark.parametrize(
    ("typed", "mobile"),
    [
        ("03001234567", "923001234567"),
        ("0300-1234567", "923001234567"),
        ("+92 300 1234567", "923001234567"),
        ("0092 300 1234567", "923001234567"),
        ("300 1234567", "923001234567"),
        ("042-35761234", None),  # a landline has no WhatsApp to open
        ("12345", None),
        ("", None),
    ],
)
def test_the_buyers_mobile_for_whatsapp(sale, typed, mobile):
    sale.buyer_phone = typed
    sale.customer.phone = ""
    assert buyer_mobile(sale) == mobile


def test_the_whatsapp_text_is_url_encoded(sale):
    url = whatsapp_url(sale, "http://localhost/r/abc.def?x=1&y=2")
    assert url.startswith("https://wa.me/923001234567?text=Your%20receipt%20from%20Zari%20")
    assert url.endswith("http%3A%2F%2Flocalhost%2Fr%2Fabc.def%3Fx%3D1%26y%3D2")


def test_a_return_receipt_repeat_within_the_minute_queues_nothing_and_is_not_the_sales_email(
    cashier, sale, till, manager, counter
):
    sale_return = return_lines(till, manager, counter, sale, (0, 1, "wrong_size"))
    actor = Actor(cashier)
    receipt = email_receipt(db.session, actor, sale, "ayesha@example.pk", "http://x/r/1")
    first = email_return_receipt(db.session, actor, sale_return, "ayesha@example.pk", "http://x/r/1/returns/1")
    again = email_return_receipt(db.session, actor, sale_return, "ayesha@example.pk", "http://x/r/1/returns/1")
    assert not first.repeated and first.email.id != receipt.email.id
    assert again.repeated and again.email.id == first.email.id
    first.email.created_at -= timedelta(minutes=2)
    db.session.flush()
    assert not email_return_receipt(db.session, actor, sale_return, "ayesha@example.pk", "http://x").repeated


def test_the_return_whatsapp_goes_to_the_customer_when_the_sale_has_no_buyer_phone(sale, till, manager, counter):
    sale_return = return_lines(till, manager, counter, sale, (0, 1, "wrong_size"))
    sale.buyer_phone, sale.customer.phone = "", ""
    assert return_whatsapp_url(sale_return, "http://x").startswith("https://wa.me/?text=Your%20return%20receipt")
    sale.customer.phone = "0321 7654321"
    assert return_whatsapp_url(sale_return, "http://x").startswith("https://wa.me/923217654321?text=")
