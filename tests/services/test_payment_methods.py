"""Payment types: bank accounts and wallets — IBAN and number checks, switching off, what the till offers, audit."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.models import AuditEntry, Tender
from ismartsync.services.audit import Actor
from ismartsync.services.payment_methods import (
    active_payment_methods,
    clean_iban,
    create_payment_method,
    iban_check_digits_match,
    set_payment_method_active,
    update_payment_method,
)
from tests import factories

MEEZAN_IBAN = "PK85MEZN0001010104567890"


def _bank(owner, **values):
    return create_payment_method(
        db.session,
        Actor(owner),
        **{"kind": Tender.BANK, "name": "Meezan Bank", "account_number": "0101 0104567890", **values},
    )


def _entries(merchant, action: str) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.merchant_id == merchant.id, AuditEntry.action == action)
    return list(db.session.scalars(query.order_by(AuditEntry.id)))


@pytest.mark.parametrize("iban", [MEEZAN_IBAN, "PK36SCBL0000001123456702"])
def test_real_pakistani_ibans_pass_the_mod_97_check(iban):
    assert iban_check_digits_match(iban)


def test_iban_typed_in_groups_and_small_letters_is_stored_compact_in_capitals():
    assert clean_iban(" pk85 mezn 0001 0101 0456 7890 ") == MEEZAN_IBAN
    assert clean_iban("   ") == ""


@pytest.mark.parametrize(
    "iban, message",
    [
        ("PK86MEZN0001010104567890", "check digits do not match"),  # one check digit off
        ("PK85MEZN0001010104567809", "check digits do not match"),  # two digits swapped
        ("PK85MEZN000101010456789", "24 characters"),  # one digit short
        ("GB82WEST12345698765432", "24 characters"),  # a valid IBAN, but not Pakistani
        ("PK85ME2N0001010104567890", "24 characters"),  # a digit in the bank code
    ],
)
def test_bad_iban_is_refused_beside_the_iban(owner, iban, message):
    with pytest.raises(DomainError, match=message) as refused:
        _bank(owner, iban=iban)
    assert refused.value.field == "iban"


def test_adding_a_bank_account_switches_it_on_and_is_audited(owner, merchant):
    method = _bank(owner, iban="pk85 mezn 0001 0101 0456 7890", account_title="  Zari  Textiles ")
    assert (method.active, method.iban, method.account_title) == (True, MEEZAN_IBAN, "Zari Textiles")
    assert method.label == "Meezan Bank ··7890"
    [entry] = _entries(merchant, "payment_method.create")
    assert entry.actor_id == owner.id and entry.target_id == method.id
    assert entry.after["iban"] == MEEZAN_IBAN and entry.after["kind"] == "bank"


@pytest.mark.parametrize("typed", ["0300 1234567", "03001234567", "+92 300 1234567", "92-300-1234567", "0300-1234567"])
def test_wallet_number_is_stored_as_a_pakistani_mobile_number(owner, typed):
    method = create_payment_method(db.session, Actor(owner), kind=Tender.WALLET, name="JazzCash", account_number=typed)
    assert method.account_number == "0300 1234567"


@pytest.mark.parametrize("typed", ["0300 123456", "042 35781234", "0300 12345678", "JAZZ-0300"])
def test_wallet_number_that_is_not_a_mobile_number_is_refused(owner, typed):
    with pytest.raises(DomainError, match="Pakistani mobile number") as refused:
        create_payment_method(db.session, Actor(owner), kind=Tender.WALLET, name="JazzCash", account_number=typed)
    assert refused.value.field == "account_number"


@pytest.mark.parametrize("typed", ["0101-0104567890X", "IBAN?", "1" * 41])
def test_bank_account_number_has_only_digits_spaces_and_dashes(owner, typed):
    with pytest.raises(DomainError) as refused:
        _bank(owner, account_number=typed)
    assert refused.value.field == "account_number"


@pytest.mark.parametrize(
    "values, field",
    [({"name": "   "}, "name"), ({"name": "M" * 81}, "name"), ({"kind": "cheque"}, "kind")],
)
def test_name_and_kind_are_checked(owner, values, field):
    with pytest.raises(DomainError) as refused:
        _bank(owner, **values)
    assert refused.value.field == field


def test_the_same_account_twice_is_refused_but_another_merchant_may_have_it(owner, outsider):
    _bank(owner, account_number="0101 0104567890")
    with pytest.raises(DomainError, match="already a payment type") as refused:
        _bank(owner, name="meezan bank", account_number="0101-0104567890")
    assert refused.value.field == "account_number"
    assert _bank(outsider).merchant_id == outsider.merchant_id


def test_update_keeps_its_own_number_and_audits_only_what_changed(owner, merchant):
    method = _bank(owner)
    update_payment_method(
        db.session,
        Actor(owner),
        method,
        kind=Tender.BANK,
        name="Meezan Bank Gulberg",
        account_number="0101 0104567890",
        iban=MEEZAN_IBAN,
    )
    assert (method.name, method.iban) == ("Meezan Bank Gulberg", MEEZAN_IBAN)
    [entry] = _entries(merchant, "payment_method.update")
    assert entry.before == {"iban": "", "name": "Meezan Bank"}
    assert entry.after == {"iban": MEEZAN_IBAN, "name": "Meezan Bank Gulberg"}


def test_a_bad_update_changes_nothing(owner):
    method = _bank(owner)
    with pytest.raises(DomainError):
        update_payment_method(
            db.session, Actor(owner), method, kind=Tender.BANK, name="Renamed", account_number="0101", iban="PK00"
        )
    assert method.name == "Meezan Bank"


def test_till_offers_switched_on_methods_banks_first_then_by_name(owner, merchant, other_merchant):
    jazz = factories.PaymentMethodFactory(merchant=merchant, kind=Tender.WALLET, name="JazzCash")
    meezan = factories.PaymentMethodFactory(merchant=merchant, name="Meezan Bank")
    hbl = factories.PaymentMethodFactory(merchant=merchant, name="HBL")
    easypaisa = factories.PaymentMethodFactory(merchant=merchant, kind=Tender.WALLET, name="Easypaisa")
    factories.PaymentMethodFactory(merchant=other_merchant, name="Allied Bank")
    assert active_payment_methods(db.session, merchant.id) == [hbl, meezan, easypaisa, jazz]

    set_payment_method_active(db.session, Actor(owner), hbl, False)
    assert active_payment_methods(db.session, merchant.id) == [meezan, easypaisa, jazz]
    set_payment_method_active(db.session, Actor(owner), hbl, True)
    assert active_payment_methods(db.session, merchant.id) == [hbl, meezan, easypaisa, jazz]


def test_switching_off_and_on_is_audited_once_per_change(owner, merchant):
    method = _bank(owner)
    set_payment_method_active(db.session, Actor(owner), method, False)
    set_payment_method_active(db.session, Actor(owner), method, False)  # already off: nothing to record
    set_payment_method_active(db.session, Actor(owner), method, True)
    [off] = _entries(merchant, "payment_method.switch_off")
    [on] = _entries(merchant, "payment_method.switch_on")
    assert (off.before, off.after) == ({"active": True}, {"active": False})
    assert (on.before, on.after) == ({"active": False}, {"active": True})
