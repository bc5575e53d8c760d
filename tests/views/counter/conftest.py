"""Fixtures for the counter screen's tests (the tablet ready to sell is tests/views/conftest.py's `tablet`)."""

from __future__ import annotations

import pytest

from ismartsync.extensions import db
from ismartsync.services.stock import record_opening_stock
from tests import factories


@pytest.fixture
def items(merchant, branch):
    lawn = factories.VariantFactory(
        product__merchant=merchant, product__title="Lawn 3pc", title="Red", price_minor=299000, barcode="8961000000011"
    )
    khussa = factories.VariantFactory(
        product__merchant=merchant,
        product__title="Khussa",
        title="Default Title",
        price_minor=150000,
        barcode="8961000000028",
        sku="KH-40",
    )
    record_opening_stock(db.session, branch, {lawn.id: 5, khussa.id: 1}, "opening")
    db.session.commit()
    return lawn, khussa
