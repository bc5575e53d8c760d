"""factory_boy factories: build real rows through the app's own session."""

from __future__ import annotations

import factory
from argon2 import PasswordHasher
from sqlalchemy import select

from ismartsync import passwords
from ismartsync.extensions import db
from ismartsync.models import (
    AuditEntry,
    Branch,
    Counter,
    Device,
    Merchant,
    PaymentMethod,
    Product,
    Role,
    Tender,
    User,
    Variant,
)
from ismartsync.models.catalog import search_text
from ismartsync.passwords import hash_password, hash_pin
from ismartsync.services.roles import create_default_roles

# Argon2 at production cost takes about 0.3 s a check, and the suite signs in hundreds of times: tests run the
# same hashing code at argon2's lowest cost, for the rows made here and for passwords and PINs set through the app.
passwords._hasher = passwords._pin_hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
passwords._DUMMY_HASH = passwords._hasher.hash("not-a-real-password")

PASSWORD = "correct-horse-battery"
PIN = "2580"
_PASSWORD_HASH = hash_password(PASSWORD)
_PIN_HASH = hash_pin(PIN)


class _Base(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"


class MerchantFactory(_Base):
    class Meta:
        model = Merchant

    legal_name = factory.Sequence(lambda n: f"Merchant {n} (Private) Limited")
    brand_name = factory.Sequence(lambda n: f"Brand {n}")

    @factory.post_generation
    def with_roles(obj: Merchant, create: bool, extracted: object, **kwargs: object) -> None:
        if create and extracted is not False:
            create_default_roles(db.session, obj)


def roles_of(merchant: Merchant) -> dict[str, Role]:
    return {r.name: r for r in db.session.scalars(select(Role).where(Role.merchant_id == merchant.id))}


class BranchFactory(_Base):
    class Meta:
        model = Branch

    merchant = factory.SubFactory(MerchantFactory)
    name = factory.Sequence(lambda n: f"Branch {n}")
    code = factory.Sequence(lambda n: f"B{n}")


class CounterFactory(_Base):
    class Meta:
        model = Counter

    branch = factory.SubFactory(BranchFactory)
    merchant = factory.SelfAttribute("branch.merchant")
    name = factory.Sequence(lambda n: f"Counter {n}")


class UserFactory(_Base):
    class Meta:
        model = User

    merchant = factory.SubFactory(MerchantFactory)
    email = factory.Sequence(lambda n: f"member{n}@example.pk")
    full_name = factory.Sequence(lambda n: f"Member {n}")
    password_hash = _PASSWORD_HASH
    pin_hash = _PIN_HASH
    role = factory.LazyAttribute(lambda o: roles_of(o.merchant)["Cashier"])


class DeviceFactory(_Base):
    class Meta:
        model = Device

    counter = factory.SubFactory(CounterFactory)
    merchant = factory.SelfAttribute("counter.merchant")
    label = "Tablet"
    secret_hash = "0" * 64
    paired_by_id = factory.LazyAttribute(lambda o: UserFactory(merchant=o.merchant).id)


class AuditEntryFactory(_Base):
    """An entry as `record_audit` writes it; `created_at` can be set, since entries cannot be changed later."""

    class Meta:
        model = AuditEntry

    merchant = factory.SubFactory(MerchantFactory)
    action = "staff.update"
    summary = factory.Sequence(lambda n: f"Audited change {n}")


class ProductFactory(_Base):
    class Meta:
        model = Product

    merchant = factory.SubFactory(MerchantFactory)
    shopify_id = factory.Sequence(lambda n: f"gid://shopify/Product/{1000 + n}")
    title = factory.Sequence(lambda n: f"Lawn suit {n}")


class VariantFactory(_Base):
    class Meta:
        model = Variant

    product = factory.SubFactory(ProductFactory)
    merchant = factory.SelfAttribute("product.merchant")
    shopify_id = factory.Sequence(lambda n: f"gid://shopify/ProductVariant/{5000 + n}")
    inventory_item_id = factory.Sequence(lambda n: f"gid://shopify/InventoryItem/{9000 + n}")
    title = "M / Red"
    sku = factory.Sequence(lambda n: f"SKU-{n}")
    barcode = factory.Sequence(lambda n: f"89{n:011d}")
    search_text = factory.LazyAttribute(lambda v: search_text(v.product.title, v.title, v.sku, v.barcode))
    price_minor = 299000


class PaymentMethodFactory(_Base):
    """A bank account offered at the till; pass kind=Tender.WALLET and a mobile number for a wallet."""

    class Meta:
        model = PaymentMethod

    merchant = factory.SubFactory(MerchantFactory)
    kind = Tender.BANK.value
    name = "Meezan Bank"
    account_title = "Zari Textiles (Pvt) Ltd"
    account_number = factory.Sequence(lambda n: f"0101 01{n:08d}")


FBR_TOKEN = "fbr-test-token-0001"
FIRST_POSID = 810001


def enable_fbr(merchant: Merchant, *counters: Counter, token: str = FBR_TOKEN) -> None:
    """Report the merchant's sales at `counters` to FBR's IMS sandbox environment: POSIDs 810001, 810002, ..."""
    merchant.fiscal_backend, merchant.fiscal_environment, merchant.fbr_token = "ims_cloud", "sandbox", token
    merchant.ntn = merchant.ntn or "1234567-8"
    merchant.default_pct_code = merchant.default_pct_code or "62044200"
    for n, counter in enumerate(counters):
        counter.fbr_enabled, counter.fbr_pos_id = True, FIRST_POSID + n
    db.session.flush()
