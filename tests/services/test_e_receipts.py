"""E-receipt rules: the token names one placed sale, a repeat within a minute queues nothing, WhatsApp numbers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from ismartsync.extensions import db
from ismartsync.models import OutgoingEmail
from ismartsync.services.audit import Actor
from ismartsync.services.e_receipts import buyer_mobile, email_receipt, receipt_token, sale_for_token, whatsapp_url
from tests.documents import fixtures

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
