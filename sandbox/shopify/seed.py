"""Deterministic seed data for a sandbox shop: locations, a Pakistani apparel and footwear catalog with its stock,
customers (some with missing fields) and a few online orders. The same seed always gives the same shop."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime

from sandbox.shopify import catalog_data as data
from sandbox.shopify.models import Customer, Product
from sandbox.shopify.orders import create_order, fulfill
from sandbox.shopify.store import ShopState

SEED_EPOCH = datetime(2026, 11, 1, tzinfo=UTC).timestamp()
DAY = 86_400.0


def _ean13(number: int) -> str:
    digits = f"896{number % 10**9:09d}"
    total = sum(map(int, digits[0::2])) + 3 * sum(map(int, digits[1::2]))
    return digits + str(-total % 10)


def _code(value: str) -> str:
    return value.replace(" ", "").upper()[:3]


def chain_locations(count: int) -> list[tuple[str, str, str, str, str, str, bool, bool]]:
    """`count` stores across Pakistan's cities, every one active, the first also shipping online orders (a chain on
    Shopify Plus, which allows far more than 10 locations)."""
    stores = []
    for n in range(1, count + 1):
        city, province, code, zip_ = data.CITIES[(n - 1) % len(data.CITIES)]
        stores.append((f"Store {n:02d}, {city}", f"Shop {n}, Main Bazaar", city, province, code, zip_, True, n == 1))
    return stores


def seed_locations(shop: ShopState, count: int | None = None) -> None:
    """The kind's locations, or `count` chain stores."""
    created = SEED_EPOCH - 700 * DAY
    for name, address1, city, province, code, zip_, active, online in (
        chain_locations(count) if count else data.LOCATIONS[shop.kind]
    ):
        shop.add_location(
            name=name,
            address1=address1,
            city=city,
            province=province,
            province_code=code,
            zip=zip_,
            phone="+924235761234" if city == "Lahore" else "+922135687654",
            is_active=active,
            fulfills_online_orders=online,
            created_at=created,
            updated_at=created,
        )


def _kinds(shop: ShopState) -> tuple[list[data.ProductKind], list[int]]:
    kinds = list(data.FOOTWEAR) if shop.kind == "footwear" else [*data.APPAREL, *data.FOOTWEAR]
    return kinds, list(itertools.accumulate(k.weight for k in kinds))


def _product(shop: ShopState, rng: random.Random, kind: data.ProductKind, number: int) -> Product:
    title = f"{rng.choice(data.MOTIFS)} {rng.choice(kind.styles)}"
    created = float(int(SEED_EPOCH - rng.uniform(20, 600) * DAY))
    roll = rng.random()
    status = "DRAFT" if roll < 0.03 else "ARCHIVED" if roll < 0.05 else "ACTIVE"
    colours = rng.sample(kind.colours, rng.randint(1, kind.max_colours))
    options = ([("Size", list(kind.sizes))] if kind.sizes else []) + [("Colour", colours)]
    product = Product(
        id=shop.next_id("Product"),
        title=title,
        handle=f"{title.lower().replace(' ', '-').replace('&', 'and')}-{number}",
        vendor=rng.choice(kind.vendors),
        product_type=kind.product_type,
        status=status,
        tags=kind.tags,
        options=options,
        description=f"<p>{title} by {kind.vendors[0]}.</p>",
        created_at=created,
        updated_at=float(int(created + rng.uniform(0, SEED_EPOCH - created))),
        published_at=None if status != "ACTIVE" else created,
    )
    return shop.remember(product)


def seed_catalog(shop: ShopState, rng: random.Random, count: int) -> None:
    """Products until exactly `count` variants exist; a few quirks real catalogs have (no barcode, duplicate or
    empty SKU, untracked items, compare-at prices)."""
    kinds, weights = _kinds(shop)
    number = 0
    while len(shop.variants) < count:
        number += 1
        kind = rng.choices(kinds, cum_weights=weights)[0]
        product = _product(shop, rng, kind, number)
        shop.products.append(product)
        low, high = kind.price_range
        price = (low + 500 * int(rng.random() * ((high - low) // 500 + 1))) * 100
        compare_at = (price * (5 + int(rng.random() * 3)) // 4) // 50000 * 50000 - 1000 if rng.random() < 0.2 else None
        sizes = kind.sizes or ("",)
        colours = product.options[-1][1]
        for colour in colours:
            for size in sizes:
                if len(shop.variants) >= count:
                    break
                idx = len(shop.variants)
                sku: str | None = f"{kind.prefix}-{number:05d}-{size + '-' if size else ''}{_code(colour)}"
                if idx % 97 == 96:
                    sku = ""
                elif idx % 211 == 210:
                    sku = shop.variants[-1].sku
                shop.add_variant(
                    product,
                    grow=False,
                    title=f"{size} / {colour}" if size else colour,
                    sku=sku,
                    barcode=None if rng.random() < 0.07 else _ean13(shop.ordinal * 10**7 + idx),
                    price=price,
                    compare_at=compare_at,
                    options=(size, colour) if size else (colour,),
                    position=len(product.variants) + 1,
                    created_at=product.created_at,
                    updated_at=product.updated_at,
                    tracked=rng.random() >= 0.04,
                    requires_shipping=True,
                    unit_cost=price * 45 // 100,
                    item_updated_at=product.created_at,
                    grams=800 if kind.prefix in ("PCH", "SDL", "KHS") else 450,
                )
    shop.stock.grow_to(len(shop.variants))
    shop.touch()


def seed_stock(shop: ShopState, rng: random.Random) -> None:
    stock = shop.stock
    for loc in shop.locations:
        if not loc.is_active:
            continue
        warehouse = "Warehouse" in loc.name
        stocked_share = 1.0 if warehouse else 0.9 if loc.fulfills_online_orders else 0.8
        on_hand, active, updated = stock.on_hand[loc.idx], stock.active[loc.idx], stock.updated_at[loc.idx]
        random = rng.random
        for v in shop.variants:
            if random() >= stocked_share:
                continue
            active[v.idx] = 1
            updated[v.idx] = v.created_at
            if v.tracked:
                on_hand[v.idx] = int(random() * 61) if warehouse else max(0, int(random() * 16) - 3)


def seed_customers(shop: ShopState, rng: random.Random, count: int) -> None:
    for n in range(count):
        female = rng.random() < 0.6
        first = rng.choice(data.FEMALE_NAMES if female else data.MALE_NAMES)
        last: str | None = rng.choice(data.LAST_NAMES) if rng.random() >= 0.06 else None
        city, province, code, zip_ = rng.choice(data.CITIES)
        email = f"{first}.{last or 'pk'}{n}@{rng.choice(data.MAIL_DOMAINS)}".lower()
        phone = f"+923{rng.randint(0, 4)}{rng.randint(0, 9)}{rng.randint(1000000, 9999999)}"
        created = float(int(SEED_EPOCH - rng.uniform(1, 700) * DAY))
        customer = Customer(
            id=shop.next_id("Customer"),
            first_name=first,
            last_name=last,
            email=None if rng.random() < 0.15 else email,
            phone=None if rng.random() < 0.15 else phone,
            address1=rng.choice(data.STREETS) if rng.random() >= 0.2 else None,
            city=city,
            province=province,
            province_code=code,
            zip=zip_,
            tags=("vip",) if rng.random() < 0.05 else (),
            note=None,
            created_at=created,
            updated_at=float(int(created + rng.uniform(0, SEED_EPOCH - created))),
        )
        shop.customers.append(shop.remember(customer))


def seed_orders(shop: ShopState, rng: random.Random, count: int = 6) -> None:
    """A few online orders: some shipped, one partly, the rest open (their stock is committed)."""
    candidates = [v for v in shop.variants[:2000] if v.tracked and v.product.status == "ACTIVE"]
    for n in range(min(count, len(candidates))):
        lines = [(v, rng.randint(1, 2)) for v in rng.sample(candidates, rng.randint(1, 3))]
        when = SEED_EPOCH - (count - n) * DAY
        customer = rng.choice(shop.customers) if shop.customers else None
        paid = "PAID" if n % 2 else "PENDING"
        order, _ = create_order(shop, lines, now=when, customer=customer, financial_status=paid)
        fo = order.fulfillment_orders[0]
        if n < 2:
            fulfill(shop, [(fo, [(i, i.remaining_quantity) for i in fo.line_items])], tracking=[], now=when + DAY / 2)
        elif n == 2:
            fulfill(shop, [(fo, [(fo.line_items[0], 1)])], tracking=[], now=when + DAY / 2)


def seed_shop(shop: ShopState, *, variants: int, seed: int, locations: int | None = None) -> None:
    """Fill an empty shop from `seed` (with `locations` chain stores instead of the kind's); ~0.5 s per 100k
    variants."""
    rng = random.Random(f"{seed}:{shop.domain}")
    seed_locations(shop, locations)
    seed_catalog(shop, rng, variants)
    seed_stock(shop, rng)
    seed_customers(shop, rng, max(25, min(3000, variants // 12)))
    seed_orders(shop, rng)
