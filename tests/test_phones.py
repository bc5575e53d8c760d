"""Pakistani mobile numbers: every spelling of one number is that number, landlines and foreign numbers are not
mobiles, and the customer form, the customer service, the wallet field and the WhatsApp link agree on all of it."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.forms.counter import CustomerForm
from ismartsync.models import Sale, Tender
from ismartsync.phones import local_form, parse_mobile, spaced_form, whatsapp_number
from ismartsync.services.audit import Actor
from ismartsync.services.customers import add_customer
from ismartsync.services.e_receipts import buyer_mobile
from ismartsync.services.payment_methods import create_payment_method

# Operators' mobile codes (PTA): Jazz 300–309 and 320–329, Zong 310–319, Ufone 330–337, Telenor 340–349, SCO 355.
OPERATOR_CODES = [*range(300, 338), *range(340, 350), 355]
SEPARATORS = ["", " ", "-", ".", "  "]
# How people write the front of a Pakistani mobile: trunk 0, the country code with or without + or 00, or nothing.
FRONTS = ["0", "+92", "+92 ", "0092", "0092 ", "92", "92 ", "+92-", "+92 0", "", "(0", "+92 ("]


@st.composite
def spellings(draw: st.DrawFn) -> tuple[str, str]:
    """(E.164, one way of typing it)."""
    code = draw(st.sampled_from(OPERATOR_CODES))
    subscriber = draw(st.text("0123456789", min_size=7, max_size=7))
    front = draw(st.sampled_from(FRONTS))
    after_code = ") " if front.endswith("(") else draw(st.sampled_from(SEPARATORS))
    split = draw(st.integers(0, 7))
    middle = draw(st.sampled_from(SEPARATORS))
    typed = f"{front}{code}{after_code}{subscriber[:split]}{middle}{subscriber[split:]}"
    padding = draw(st.sampled_from(["", " ", "\t"]))
    return f"+92{code}{subscriber}", padding + typed + padding


@given(spellings())
@example(("+923001234567", "03001234567"))
@example(("+923001234567", "+92 (300) 123-4567"))
@example(("+923001234567", "923001234567"))
def test_every_spelling_of_a_mobile_is_the_one_number(spelled):
    e164, typed = spelled
    assert parse_mobile(typed) == e164


@given(spellings())
def test_each_form_a_mobile_is_kept_in_reads_back_as_the_same_number(spelled):
    e164, _ = spelled
    assert local_form(e164) == "0" + e164[3:] and len(local_form(e164)) == 11
    assert spaced_form(e164) == f"{local_form(e164)[:4]} {local_form(e164)[4:]}"
    assert whatsapp_number(e164) == e164[1:]
    for kept in (e164, local_form(e164), spaced_form(e164), whatsapp_number(e164)):
        assert parse_mobile(kept) == e164


@pytest.mark.parametrize(
    "typed",
    [
        "042-35761234",  # Lahore landline
        "+92 42 35781234",
        "021 111 222 333",  # Karachi UAN
        "051-2345678",
        "+44 7911 123456",  # a mobile, but British
        "0300 123456",  # a digit short
        "0300 12345678",  # a digit long
        "12345",
        "JAZZ-0300",
        "0300 CALLNOW",  # letters would be keypad digits to phonenumbers
        "+92 300 1234567 ext. 1234",
        "٠٣٠٠١٢٣٤٥٦٧",  # Arabic-Indic digits: refused like in every number field
        "۰۳۰۰۱۲۳۴۵۶۷",
        "",
        "   ",
        None,
    ],
)
def test_what_is_not_a_pakistani_mobile_is_refused(typed):
    assert parse_mobile(typed) is None


@given(st.text(max_size=60))
def test_any_text_is_a_mobile_or_none_and_never_an_error(text):
    parsed = parse_mobile(text)
    assert parsed is None or (parsed.startswith("+923") and len(parsed) == 13)


@pytest.mark.parametrize(
    "typed",
    [
        "0300 1234567",
        "+92 300 1234567",
        "0092 300 1234567",
        "92 300 1234567",
        "923001234567",
        "92-300-1234567",
        "300 1234567",
        "(0300) 1234567",
        "+92 (300) 123-4567",
        "0300.1234567",
    ],
)
def test_the_form_the_services_and_the_whatsapp_link_take_the_same_spellings(app, owner, typed):
    """Before one parser, the customer form refused "92 300 1234567" that the wallet field took, and the wallet field
    refused "(0300) 1234567" that the customer form took. Now each takes what the others take, as the same number."""
    with app.test_request_context(method="POST"):
        form = CustomerForm(formdata=MultiDict({"name": "Ayesha Khan", "phone": typed}), meta={"csrf": False})
        assert form.validate(), form.errors
    customer, _ = add_customer(db.session, Actor(owner), "Ayesha Khan", typed)
    wallet = create_payment_method(db.session, Actor(owner), kind=Tender.WALLET, name="JazzCash", account_number=typed)
    shared = buyer_mobile(Sale(buyer_phone=typed))
    assert (customer.phone, wallet.account_number, shared) == ("03001234567", "0300 1234567", "923001234567")


@pytest.mark.parametrize("typed", ["042-35761234", "0300 123456", "+44 7911 123456"])
def test_the_form_the_services_and_the_whatsapp_link_refuse_the_same_numbers(app, owner, typed):
    with app.test_request_context(method="POST"):
        form = CustomerForm(formdata=MultiDict({"name": "Ayesha Khan", "phone": typed}), meta={"csrf": False})
        assert not form.validate() and form.errors["phone"] == ["Enter a Pakistani mobile, e.g. 0300 1234567."]
    with pytest.raises(DomainError, match="Pakistani mobile") as refused:
        add_customer(db.session, Actor(owner), "Ayesha Khan", typed)
    assert refused.value.field == "phone"
    with pytest.raises(DomainError, match="Pakistani mobile"):
        create_payment_method(db.session, Actor(owner), kind=Tender.WALLET, name="JazzCash", account_number=typed)
    assert buyer_mobile(Sale(buyer_phone=typed)) is None
