"""A variant's tax and quick key, set on its product page: what the counter prices and shows with."""

from __future__ import annotations

from sqlalchemy import select

from ismartsync.extensions import db
from ismartsync.models import AuditEntry, QuickKey, Variant
from ismartsync.services.products import MAX_QUICK_KEYS
from tests import factories
from tests.markup import text_of


def _reloaded(variant: Variant) -> Variant:
    db.session.expire_all()
    return db.session.get(Variant, variant.id)


def test_the_owner_sets_a_variants_rate_pct_code_and_third_schedule(browser, owner, merchant):
    variant = factories.VariantFactory(product__merchant=merchant)
    db.session.commit()
    browser.sign_in(owner)

    response = browser.post(
        f"/products/variants/{variant.id}/tax",
        {"tax_rate": "17", "pct_code": "6109.1000", "third_schedule": "y"},
        htmx=True,
    )

    assert response.status_code == 200
    assert "17 % · PCT 61091000 · Third Schedule" in text_of(response.get_data(as_text=True), "variant-selling")
    row = _reloaded(variant)
    assert (row.tax_rate_bp, row.pct_code, row.third_schedule) == (1700, "61091000", True)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "variant.tax")).one()
    assert entry.after == {"pct_code": "61091000", "tax_rate_bp": 1700, "third_schedule": True}


def test_an_empty_rate_means_the_standard_rate(browser, owner, merchant):
    variant = factories.VariantFactory(product__merchant=merchant, tax_rate_bp=1700)
    db.session.commit()
    browser.sign_in(owner)
    browser.post(f"/products/variants/{variant.id}/tax", {"tax_rate": "", "pct_code": ""}, htmx=True)
    assert _reloaded(variant).tax_rate_bp is None


def test_a_bad_pct_code_or_rate_comes_back_beside_its_field(browser, owner, merchant):
    variant = factories.VariantFactory(product__merchant=merchant)
    db.session.commit()
    browser.sign_in(owner)
    response = browser.post(f"/products/variants/{variant.id}/tax", {"tax_rate": "180", "pct_code": "6109"}, htmx=True)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "A PCT code has 8 digits" in text_of(body, "field-pct_code")
    assert "Enter a rate from 0 to 100 %" in text_of(body, "field-tax_rate")
    assert _reloaded(variant).pct_code == ""


def test_a_variant_goes_on_and_off_the_quick_keys_up_to_the_grids_size(browser, owner, merchant):
    variants = [factories.VariantFactory(product__merchant=merchant) for _ in range(MAX_QUICK_KEYS + 1)]
    db.session.commit()
    browser.sign_in(owner)
    for variant in variants[:MAX_QUICK_KEYS]:
        assert browser.post(f"/products/variants/{variant.id}/quick-key", {"on": "1"}, htmx=True).status_code == 200
    refused = browser.post(f"/products/variants/{variants[-1].id}/quick-key", {"on": "1"}, htmx=True)
    assert refused.status_code == 422 and "holds 24 quick keys" in refused.get_data(as_text=True)
    browser.post(f"/products/variants/{variants[0].id}/quick-key", {"on": "0"}, htmx=True)
    positions = db.session.scalars(select(QuickKey.variant_id).order_by(QuickKey.position)).all()
    assert positions == [v.id for v in variants[1:MAX_QUICK_KEYS]]


def test_without_change_settings_the_tax_cannot_be_set(browser, merchant, roles):
    inventory = factories.UserFactory(merchant=merchant, role=roles["Inventory"], all_branches=True)
    variant = factories.VariantFactory(product__merchant=merchant)
    db.session.commit()
    browser.sign_in(inventory)
    assert "Save tax" not in browser.get(f"/products/variants/{variant.id}").get_data(as_text=True)
    assert browser.post(f"/products/variants/{variant.id}/tax", {"tax_rate": "5"}).status_code == 403
    assert browser.post(f"/products/variants/{variant.id}/quick-key", {"on": "1"}).status_code == 403



def test_products_marks_and_filters_the_variants_without_a_pct_code(browser, owner, merchant):
    factories.VariantFactory(product__merchant=merchant, product__title="Coded shawl", pct_code="62144000")
    factories.VariantFactory(product__merchant=merchant, product__title="Bare kurta", pct_code="")
    db.session.commit()
    browser.sign_in(owner)

    page = browser.get("/products").get_data(as_text=True)
    rows = text_of(page, "variant-rows")
    assert "Bare kurta" in rows and "Coded shawl" in rows and rows.count("No PCT code") == 1
    assert 'name="pct" value="missing"' in page  # the filter is a real form field, kept by the pager

    fragment = browser.get("/products?pct=missing", headers={"HX-Request": "true"}).get_data(as_text=True)
    missing = text_of(fragment, "variant-rows")
    assert "Bare kurta" in missing and "Coded shawl" not in missing
    none_left = text_of(browser.get("/products?pct=missing&q=shawl").get_data(as_text=True), "variant-rows")
    assert "Nothing matches “shawl” without a PCT code." in none_left
