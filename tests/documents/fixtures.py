"""Fixtures for documents: a merchant with everything SRO 1006 prints, an FBR counter, a sale with a buyer."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ismartsync.extensions import db
from ismartsync.models import Customer, FiscalDocument, FiscalStatus, Sale, Tender
from ismartsync.models.base import utcnow
from ismartsync.services import cart as carts
from ismartsync.services.checkout import Payment, checkout_sale
from ismartsync.services.pricing import Discount, DiscountKind
from tests import factories, selling
from tests.selling import cart_with, stock_items

FBR_NUMBER = "812345FBKP2194812123"  # the alphanumeric shape FBR's IMS answers with (fbr.md §2.5)
# The longest number FBR may send (varchar(30), fbr.md §2.2), lowercase like the sandbox's "…*test*" numbers (§2.5):
# byte mode, which needs a version-3 QR code.
LONGEST_FBR_NUMBER = "819038FBKP2194812123*test*abcd"


@pytest.fixture
def seller(merchant, branch, counter):
    """The merchant as a tax invoice names it, reporting this counter's sales to FBR."""
    merchant.legal_name, merchant.brand_name = "Zari Textiles (Private) Limited", "Zari"
    merchant.ntn, merchant.strn, merchant.tax_office = "1234567-8", "3277876127954", "RTO Lahore"
    merchant.address = "45-B Industrial Estate, Kot Lakhpat, Lahore"
    branch.address, branch.phone = "12 Main Boulevard, Gulberg III, Lahore", "042-35761234"
    factories.enable_fbr(merchant, counter)
    return merchant


till = selling.till  # the selling fixture, for the modules that take theirs from here


@pytest.fixture
def items(merchant, branch):
    return stock_items(merchant, branch)


@pytest.fixture
def sale(seller, manager, counter, till, items) -> Sale:
    """Ayesha's sale: Rs 2,990 and Rs 1,500 less Rs 100, Rs 4,391 with the POS fee, paid Rs 2,000 by card and
    Rs 3,000 in cash (Rs 609 change)."""
    cart = cart_with(till, counter, items[0], items[1])
    carts.set_discount(db.session, till, cart, cart.lines[1], Discount(DiscountKind.AMOUNT, 10_000))
    cart.customer = Customer(
        merchant_id=seller.id,
        first_name="Ayesha",
        last_name="Khan",
        phone="03001234567",
        cnic="35202-1234567-1",
        ntn="7654321-0",
        email="ayesha@example.pk",
    )
    placed = checkout_sale(
        db.session, till, counter, cart.uuid, [Payment(Tender.CARD, 200_000), Payment(Tender.CASH, 300_000)]
    ).sale
    db.session.commit()
    return placed


def fiscal_of(sale: Sale) -> FiscalDocument:
    """The sale's fiscal document, which checkout wrote because its counter reports to FBR."""
    return db.session.scalars(select(FiscalDocument).where(FiscalDocument.sale_id == sale.id)).one()


def report(sale: Sale, number: str = FBR_NUMBER, *, offline: bool = False) -> FiscalDocument:
    """FBR answered the sale's report with `number` (after an offline receipt, with `offline`)."""
    fiscal = fiscal_of(sale)
    fiscal.status, fiscal.fbr_number, fiscal.reported_at = FiscalStatus.REPORTED, number, utcnow()
    fiscal.offline_issued = offline
    db.session.commit()
    return fiscal
