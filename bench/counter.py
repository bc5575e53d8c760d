"""The counter's budgets (ARCHITECTURE.md §8) on PostgreSQL: scan, search and checkout server times, the size of the
counter page and of the cart fragment, and 50 cashiers selling the same hot items at once, checked afterwards.

Run with `make bench` (or `python -m bench.counter [--reseed]`). The database (ISMARTSYNC_BENCH_DATABASE_URL, default
postgresql+psycopg://postgres@127.0.0.1/ismartsync_bench_counter) gets its schema from the migrations and is seeded
in bulk (COPY and INSERT … SELECT) with 100,000 variants and 1,000,000 past sale lines; re-runs reuse it.

"Server time" is each request through the Flask test client, in-process, timed around the call; CSRF stays on (the
page's token goes in X-CSRFToken, as htmx sends it). The figures report, they do not gate: a miss prints OVER BUDGET
and the exit status stays 0. `--profile scan|search|checkout` shows where one kind of request spends its time.
"""

from __future__ import annotations

import argparse
import cProfile
import gzip
import os
import pstats
import random
import re
import statistics
import subprocess
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from bench.common import (
    Probe,
    Report,
    Series,
    create_database,
    fbr_control,
    in_process_app,
    percentile,
    postgres_url,
    round_trips,
    start_fbr_sandbox,
)
from ismartsync.extensions import db
from ismartsync.models import (
    Branch,
    Counter,
    Merchant,
    Product,
    QuickKey,
    Register,
    Role,
    Shift,
    Tender,
    User,
    Variant,
)
from ismartsync.models.catalog import search_text
from ismartsync.passwords import hash_pin
from ismartsync.services import cart as carts
from ismartsync.services.audit import Actor
from ismartsync.services.cash.registers import open_shift, start_register
from ismartsync.services.checkout import Payment, checkout_sale
from ismartsync.services.merchants import sign_up_owner

DEFAULT_DATABASE = "postgresql+psycopg://postgres@127.0.0.1/ismartsync_bench_counter"
SEED_VERSION = 1  # bump when the seed changes shape: an older seed is then rebuilt
PRODUCTS, VARIANTS_PER_PRODUCT = 20_000, 5
PAST_SALES, LINES_PER_SALE = 200_000, 5
RUSH_COUNTERS = 50
OWNER_EMAIL, PASSWORD, PIN = "owner@counter-bench.example.com", "bench-password-1", "2580"
BUDGET_MS = {"scan": 15.0, "search": 25.0, "checkout": 30.0}
PAGE_BUDGET, FRAGMENT_BUDGET = 40 * 1024, 4 * 1024
FBR_TOKEN, FBR_POSID = "bench-fbr-token", 830001
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')

KINDS = [  # product type, SKU prefix, the five sizes (None: five colours instead)
    ("Lawn 3pc Printed", "LP3", None),
    ("Lawn 2pc Embroidered", "LE2", None),
    ("Khaddar 3pc", "KH3", None),
    ("Karandi 3pc", "KR3", None),
    ("Marina 2pc", "MR2", None),
    ("Chiffon Dupatta", "CD", None),
    ("Pashmina Shawl", "PS", None),
    ("Velvet Shawl", "VS", None),
    ("Khaddar Kurta", "KK", ("XS", "S", "M", "L", "XL")),
    ("Cotton Kurta", "CK", ("S", "M", "L", "XL", "XXL")),
    ("Cambric Kurti", "CBK", ("XS", "S", "M", "L", "XL")),
    ("Silk Kurta", "SK", ("S", "M", "L", "XL", "XXL")),
    ("Linen Shalwar Kameez", "LSK", ("S", "M", "L", "XL", "XXL")),
    ("Jacquard Suit", "JQ", ("XS", "S", "M", "L", "XL")),
    ("Denim Kurti", "DK", ("XS", "S", "M", "L", "XL")),
    ("Waistcoat", "WC", ("36", "38", "40", "42", "44")),
    ("Sherwani", "SHW", ("36", "38", "40", "42", "44")),
    ("Cotton Shalwar", "CS", ("S", "M", "L", "XL", "XXL")),
    ("Khussa", "KHU", ("36", "37", "38", "39", "40")),
    ("Peshawari Chappal", "PC", ("40", "41", "42", "43", "44")),
]
COLLECTIONS = ["Summer", "Eid", "Festive", "Winter", "Luxury", "Daily Wear", "Mid Summer", "Bridal", "Pret", "Basics"]
# fmt: off
DESIGNS = [
    "Gulnar", "Noor", "Mehr", "Sitara", "Bahar", "Chandni", "Rang", "Zara", "Saba", "Naz", "Afsana", "Mahjabeen",
    "Roshni", "Kiran", "Shabnam", "Gulbahar", "Nigar", "Parveen", "Anmol", "Rubab", "Dilkash", "Hina", "Jugnu",
    "Khwab", "Mehndi", "Nazakat", "Qamar", "Rida", "Sadaf", "Tabeer", "Umang", "Zeba", "Inaya", "Laila", "Aangan",
    "Baharan", "Dastaan", "Gulshan", "Jahan", "Shehnai",
]
COLOURS = [
    "Maroon", "Black", "White", "Navy", "Teal", "Mustard", "Peach", "Mint", "Olive", "Rust", "Lilac", "Beige", "Grey",
    "Emerald", "Fuchsia", "Coral", "Ivory", "Plum",
]
# fmt: on
RARE_COLOUR = "Aubergine"  # about one product in 500: a rare word to search for
PRICES = [1490, 1990, 2490, 2990, 3490, 3990, 4990, 5990, 7990, 9990]


@dataclass(frozen=True)
class Ids:
    """What the bench works with, looked up by name so that a reused database needs no other state."""

    merchant: int
    owner: int
    till: int
    cashier: int
    rush: list[tuple[int, int]]  # (counter, cashier)
    hot: list[int]


# The database


def prepare_database(app: Flask, url: str, reseed: bool) -> str:
    """Reuse a database this version of the bench seeded, else build it; says which, and how long seeding took."""
    create_database(url)
    seeded = None if reseed else _seed_marker(url)
    if seeded is not None:
        with app.app_context():
            upgrade()  # migrations newer than the seed apply on top of it
            _seed_online_orders(db.session)
        return f"reused, seeded in {seeded:.0f} s (--reseed rebuilds it)"
    create_database(url, drop=True)
    started = time.perf_counter()
    with app.app_context():
        upgrade()
        _seed(db.session)
        db.session.commit()
        _seed_online_orders(db.session)
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        stamp = time.perf_counter()
        conn.exec_driver_sql("VACUUM ANALYZE")
        print(f"  seed: VACUUM ANALYZE ({_since(stamp)})")
        seconds = time.perf_counter() - started
        # Written last: a seed cut short leaves no marker, so the next run starts again.
        conn.exec_driver_sql("CREATE TABLE bench_counter_seed (version integer, seconds float, seeded_at timestamptz)")
        conn.execute(text("INSERT INTO bench_counter_seed VALUES (:v, :s, now())"), {"v": SEED_VERSION, "s": seconds})
    engine.dispose()
    return f"seeded in {seconds:.1f} s"


ONLINE_ORDERS = 20_000  # one line of 2 units each, a quarter of the 24 quick keys (~200 past lines each, 2 or 3
# still to ship); every 20th order still to ship, 9 in 10 of those at Gulberg (the selling branch)
_ONLINE_ORDERS_SQL = [
    """INSERT INTO online_orders (id, merchant_id, shopify_id, legacy_id, name, source_name, shopify_created_at,
         shopify_updated_at, cancelled_at, cancel_reason, shopify_customer_id, customer_name, email, phone, phone_key,
         gateway_names, cod, financial_status, fulfilment_status, currency, subtotal_minor, shipping_minor, tax_minor,
         total_minor, note, tags, synced_at)
       SELECT g, :merchant, 'gid://shopify/Order/' || g, g, '#' || (1000 + g), 'web',
         now() - make_interval(mins => :n - g), now() - make_interval(mins => :n - g),
         CASE WHEN g % 60 = 0 THEN now() END, '', '', 'Customer ' || g, '', '', '', '["Cash on Delivery (COD)"]',
         true, 'PENDING', CASE WHEN g % 20 = 0 THEN 'UNFULFILLED' ELSE 'FULFILLED' END, 'PKR', 598000, 25000, 0,
         623000, '', '[]', now()
       FROM generate_series(1, :n) g""",
    """INSERT INTO online_order_lines (id, merchant_id, order_id, shopify_id, variant_id, shopify_variant_id, sku,
         title, variant_title, quantity, current_quantity, unfulfilled_quantity, unit_price_minor)
       SELECT g, :merchant, g, 'gid://shopify/LineItem/' || g,
         CASE WHEN g % 4 = 0 AND (g % 20 <> 0 OR g % 400 = 0) THEN v.ids[1 + (g / 4) % 24]
           ELSE v.ids[1 + (g * 7919) % array_length(v.ids, 1)] END, '',
         '', 'Lawn suit', '', 2, 2, CASE WHEN g % 20 = 0 THEN 2 ELSE 0 END, 299000
       FROM generate_series(1, :n) g,
         (SELECT array_agg(id ORDER BY id) AS ids FROM variants WHERE merchant_id = :merchant) v""",
    """INSERT INTO fulfilment_orders (id, merchant_id, order_id, shopify_id, shopify_location_id, location_name,
         branch_id, status, request_status, supported_actions, hold_reasons, order_created_at)
       SELECT g, :merchant, g, 'gid://shopify/FulfillmentOrder/' || g, '', '',
         b.ids[CASE WHEN g % 200 = 0 THEN 2 ELSE 1 END], CASE WHEN g % 20 = 0 THEN 'OPEN' ELSE 'CLOSED' END,
         'UNSUBMITTED', '[]', '[]', now() - make_interval(mins => :n - g)
       FROM generate_series(1, :n) g,
         (SELECT array_agg(id ORDER BY id) AS ids FROM branches WHERE merchant_id = :merchant) b""",
    """INSERT INTO fulfilment_order_lines (id, merchant_id, fulfilment_order_id, order_line_id, shopify_id,
         total_quantity, remaining_quantity)
       SELECT g, :merchant, g, g, 'gid://shopify/FulfillmentOrderLineItem/' || g, 2,
         CASE WHEN g % 20 = 0 THEN 2 ELSE 0 END
       FROM generate_series(1, :n) g""",
]


def _seed_online_orders(session: Session) -> None:
    """Online orders at the branches (added to an older seed too): the counter shows and checks what they reserve."""
    if session.scalar(text("SELECT to_regclass('bench_online_orders_seed')")) is not None:
        return  # seeded in this shape already (the marker is dropped with the database)
    session.execute(text("DELETE FROM online_orders"))
    stamp = time.perf_counter()
    merchant_id = session.scalar(select(Merchant.id).order_by(Merchant.id).limit(1))
    for statement in _ONLINE_ORDERS_SQL:
        session.execute(text(statement), {"merchant": merchant_id, "n": ONLINE_ORDERS})
    for table in ("online_orders", "online_order_lines", "fulfilment_orders", "fulfilment_order_lines"):
        session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), :n)"), {"n": ONLINE_ORDERS})
        session.execute(text(f"ANALYZE {table}"))
    session.execute(text("CREATE TABLE bench_online_orders_seed (seeded_at timestamptz DEFAULT now())"))
    session.commit()
    print(f"  seed: {ONLINE_ORDERS:,} online orders, every 20th still to ship ({_since(stamp)})")


def _seed_marker(url: str) -> float | None:
    """How long the seed took, if this version of the bench seeded the database."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            if conn.scalar(text("SELECT to_regclass('bench_counter_seed')")) is None:
                return None
            return conn.scalar(text("SELECT seconds FROM bench_counter_seed WHERE version = :v"), {"v": SEED_VERSION})
    except sa.exc.ProgrammingError:  # a marker of another shape: an older bench seeded it
        return None
    finally:
        engine.dispose()


def _seed(session: Session) -> None:
    stamp = time.perf_counter()
    history = _seed_people(session)
    session.commit()
    print(f"  seed: merchant, {1 + RUSH_COUNTERS + len(history)} counters with a cashier each ({_since(stamp)})")
    merchant_id = history[0][0]
    stamp = time.perf_counter()
    _seed_catalog(session, merchant_id)
    print(f"  seed: {PRODUCTS:,} products, {PRODUCTS * VARIANTS_PER_PRODUCT:,} variants by COPY ({_since(stamp)})")
    stamp = time.perf_counter()
    _seed_history(session, merchant_id, history)
    sales, lines = f"{PAST_SALES:,} past sales with {PAST_SALES * LINES_PER_SALE:,} lines", "payments, fiscal documents"
    print(f"  seed: {sales}, {lines}, stock at both branches and its ledger ({_since(stamp)})")
    keys = session.scalars(select(Variant.id).where(Variant.merchant_id == merchant_id).limit(24)).all()
    session.add_all(QuickKey(merchant_id=merchant_id, variant_id=v, position=n) for n, v in enumerate(keys, 1))


def _since(started: float) -> str:
    return f"{time.perf_counter() - started:.1f} s"


def _seed_people(session: Session) -> list[tuple[int, int, int, str, int, int, int]]:
    """The merchant, its two branches, the bench till and the rush counters with open shifts, and six counters
    with a closed register and shift each for the past sales; returns those six as
    (merchant, counter, branch, branch code, cashier, register, shift)."""
    owner = sign_up_owner(
        session,
        legal_name="Zari Textiles (Private) Limited",
        brand_name="Zari",
        owner_name="Bench Owner",
        email=OWNER_EMAIL,
        password=PASSWORD,
    )
    main = session.scalar(select(Branch).where(Branch.merchant_id == owner.merchant_id))
    main.name, main.code = "Gulberg", "GUL"
    second = Branch(merchant_id=owner.merchant_id, name="Clifton", code="CLF")
    session.add(second)
    session.flush()
    pin_hash = hash_pin(PIN)  # one argon2 hash for every cashier: hashing 57 would take longer than the rest
    history = [_history_counter(session, owner, branch, n, pin_hash) for branch in (main, second) for n in (1, 2, 3)]
    _selling_counter(session, owner, main, "Bench till", "cashier@counter-bench.example.com", pin_hash)
    for n in range(1, RUSH_COUNTERS + 1):
        _selling_counter(session, owner, main, f"Rush {n:02d}", f"rush{n:02d}@counter-bench.example.com", pin_hash)
    return history


def _cashier(session: Session, owner: User, branch: Branch, email: str, pin_hash: str) -> User:
    role = session.scalar(select(Role).where(Role.merchant_id == owner.merchant_id, Role.name == "Cashier"))
    name = email.split("@")[0].capitalize()
    user = User(merchant_id=owner.merchant_id, email=email, full_name=f"{name} Khan", pin_hash=pin_hash, role=role)
    user.branches = [branch]
    session.add(user)
    session.flush()
    return user


def _history_counter(
    session: Session, owner: User, branch: Branch, n: int, pin_hash: str
) -> tuple[int, int, int, str, int, int, int]:
    counter = session.scalar(select(Counter).where(Counter.branch_id == branch.id, Counter.name == f"Counter {n}"))
    if counter is None:  # sign-up made "Counter 1" at the first branch
        counter = Counter(merchant_id=owner.merchant_id, branch=branch, name=f"Counter {n}")
        session.add(counter)
    user = _cashier(session, owner, branch, f"{branch.code.lower()}{n}@counter-bench.example.com", pin_hash)
    year_ago = datetime.now(UTC) - timedelta(days=366)
    register = Register(
        merchant_id=owner.merchant_id,
        counter=counter,
        branch_id=branch.id,
        status="closed",
        opened_by_id=owner.id,
        opened_at=year_ago,
        closed_at=datetime.now(UTC),
    )
    shift = Shift(merchant_id=owner.merchant_id, register=register, user_id=user.id, status="closed")
    session.add_all([register, shift])
    session.flush()
    return (owner.merchant_id, counter.id, branch.id, branch.code, user.id, register.id, shift.id)


def _selling_counter(session: Session, owner: User, branch: Branch, name: str, email: str, pin_hash: str) -> None:
    counter = Counter(merchant_id=owner.merchant_id, branch=branch, name=name)
    session.add(counter)
    session.flush()
    cashier = _cashier(session, owner, branch, email, pin_hash)
    start_register(session, Actor(owner), counter, 500_000)
    open_shift(session, Actor(cashier), counter)


def _catalog_rows(merchant_id: int) -> tuple[list[tuple], list[tuple]]:
    """20,000 products of Pakistani apparel and footwear with five variants each: sizes of one colour, or colours."""
    rng = random.Random(20_000)
    now = datetime.now(UTC)
    products, variants = [], []
    for pid in range(1, PRODUCTS + 1):
        kind, code, sizes = rng.choice(KINDS)
        title = f"{rng.choice(COLLECTIONS)} {kind} {rng.choice(DESIGNS)} {rng.randrange(1000):03d}"
        products.append((pid, merchant_id, f"gid://shopify/Product/{pid}", title, kind, now))
        colour = RARE_COLOUR if rng.random() < 0.002 else rng.choice(COLOURS)
        titles = [f"{s} / {colour}" for s in sizes] if sizes else rng.sample([*COLOURS, colour], VARIANTS_PER_PRODUCT)
        price = rng.choice(PRICES) * 100
        for k, variant_title in enumerate(titles, start=1):
            vid = (pid - 1) * VARIANTS_PER_PRODUCT + k
            sku, barcode = f"{code}-{pid:05d}-{k}", f"896{vid:010d}"
            gids = (f"gid://shopify/ProductVariant/{vid}", f"gid://shopify/InventoryItem/{vid}")
            facts = (variant_title, k, sku, barcode, "[]", price, True, "", False, "")
            variants.append((vid, merchant_id, pid, *gids, *facts, search_text(title, variant_title, sku, barcode)))
    return products, variants


def _seed_catalog(session: Session, merchant_id: int) -> None:
    products, variants = _catalog_rows(merchant_id)
    raw = session.connection().connection.dbapi_connection
    with raw.cursor() as cursor:
        with cursor.copy(
            "COPY products (id, merchant_id, shopify_id, title, handle, vendor, product_type, status, synced_at) "
            "FROM STDIN"
        ) as copy:
            for pid, mid, gid, title, kind, now in products:
                copy.write_row((pid, mid, gid, title, f"product-{pid}", "Zari", kind, "ACTIVE", now))
        with cursor.copy(
            "COPY variants (id, merchant_id, product_id, shopify_id, inventory_item_id, title, position, sku, barcode,"
            " options, price_minor, tracked, pct_code, third_schedule, sync_skip_reason, search_text) FROM STDIN"
        ) as copy:
            for row in variants:
                copy.write_row(row)
    for table in ("products", "variants"):
        session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))


# Past sales in set-based SQL: six counters take turns (so each numbers its sales 1..N in time order), five random
# lines a sale; then payments, fiscal documents and the ledger: levels that end at 5..44 a variant and branch, an
# opening movement of that plus all sold there, and one sale movement per line with its running quantity.
HISTORY_SQL = [
    """CREATE TEMP TABLE bench_till ON COMMIT DROP AS
       SELECT * FROM unnest(CAST(:counters AS integer[]), CAST(:branches AS integer[]), CAST(:codes AS text[]),
                            CAST(:cashiers AS integer[]), CAST(:registers AS integer[]), CAST(:shifts AS integer[]))
         WITH ORDINALITY AS t(counter_id, branch_id, code, cashier_id, register_id, shift_id, c)""",
    """CREATE TEMP TABLE bench_sale ON COMMIT DROP AS
       SELECT g, 1 + g AS sale_id, g / :k + 1 AS number, t.*,
              now() - interval '365 days' + g * (interval '365 days' / :sales) AS at
       FROM generate_series(0, :sales - 1) AS g JOIN bench_till t ON t.c = 1 + g % :k""",
    """CREATE TEMP TABLE bench_picks ON COMMIT DROP AS
       SELECT s.g, l, s.sale_id, s.branch_id, 1 + floor(random() * :variants)::int AS variant_id,
              CASE WHEN random() < 0.1 THEN 2 ELSE 1 END AS quantity
       FROM bench_sale s, generate_series(1, :lines) AS l""",
    """INSERT INTO sales (id, merchant_id, uuid, branch_id, counter_id, register_id, shift_id, status, number, usin,
         label, cashier_id, buyer_name, buyer_phone, buyer_cnic, buyer_ntn, prices_include_tax, order_discount_value,
         quantity, subtotal_minor, discount_minor, value_minor, tax_minor, total_minor, pos_fee_minor, payable_minor,
         paid_minor, change_minor, created_at, updated_at, placed_at, receipt_key)
       SELECT s.sale_id, :merchant, gen_random_uuid()::text, s.branch_id, s.counter_id, s.register_id, s.shift_id,
         'placed', s.number, s.code || '-C' || s.counter_id || '-' || lpad(s.number::text, 6, '0'), '', s.cashier_id,
         '', '', '', '', true, 0, t.quantity, t.total, 0, t.total - t.tax, t.tax, t.total, 100, t.total + 100,
         t.total + 100, 0, s.at, s.at, s.at, md5(s.sale_id::text || random()::text)
       FROM bench_sale s JOIN (
         SELECT p.g, sum(p.quantity) AS quantity, sum(p.quantity * v.price_minor) AS total,
                sum(round(p.quantity * v.price_minor * 1800 / 11800.0))::bigint AS tax
         FROM bench_picks p JOIN variants v ON v.id = p.variant_id GROUP BY p.g) t ON t.g = s.g
       ORDER BY s.g""",
    """INSERT INTO sale_lines (merchant_id, sale_id, variant_id, position, name, sku, barcode, pct_code, quantity,
         list_price_minor, unit_price_minor, tax_rate_bp, third_schedule, discount_value, gross_minor, discount_minor,
         discount_excl_minor, value_minor, tax_minor, total_minor)
       SELECT :merchant, p.sale_id, p.variant_id, p.l, pr.title || ' — ' || v.title, v.sku, v.barcode, '',
         p.quantity, v.price_minor, v.price_minor, 1800, false, 0, p.quantity * v.price_minor, 0, 0,
         p.quantity * v.price_minor - x.tax, x.tax, p.quantity * v.price_minor
       FROM bench_picks p JOIN variants v ON v.id = p.variant_id JOIN products pr ON pr.id = v.product_id,
         LATERAL (SELECT round(p.quantity * v.price_minor * 1800 / 11800.0)::bigint AS tax) x
       ORDER BY p.g, p.l""",
    """INSERT INTO sale_payments (merchant_id, sale_id, tender, label, amount_minor, tendered_minor, change_minor,
         reference)
       SELECT merchant_id, id, CASE WHEN id % 5 = 0 THEN 'card' ELSE 'cash' END,
         CASE WHEN id % 5 = 0 THEN 'Card' ELSE 'Cash' END, payable_minor, payable_minor, 0, ''
       FROM sales WHERE merchant_id = :merchant ORDER BY id""",
    """INSERT INTO fiscal_documents (merchant_id, sale_id, counter_id, invoice_type, usin, status, fbr_number,
         attempts, created_at, reported_at)
       SELECT merchant_id, id, counter_id, '1', usin, 'reported', 'FBR-' || id, 1, placed_at, placed_at
       FROM sales WHERE merchant_id = :merchant ORDER BY id""",
    """CREATE TEMP TABLE bench_sold ON COMMIT DROP AS
       SELECT variant_id, branch_id, sum(quantity) AS sold FROM bench_picks GROUP BY 1, 2""",
    """INSERT INTO stock_levels (merchant_id, variant_id, branch_id, quantity, updated_at)
       SELECT :merchant, v.id, b.branch_id, 5 + v.id % 40, now()
       FROM variants v CROSS JOIN (SELECT DISTINCT branch_id FROM bench_till) b
       WHERE v.merchant_id = :merchant ORDER BY v.id, b.branch_id""",
    """CREATE TEMP TABLE bench_opening ON COMMIT DROP AS
       SELECT l.merchant_id, l.variant_id, l.branch_id, l.quantity + coalesce(s.sold, 0) AS quantity, l.id
       FROM stock_levels l LEFT JOIN bench_sold s USING (variant_id, branch_id) WHERE l.merchant_id = :merchant""",
    """INSERT INTO stock_movements (merchant_id, variant_id, branch_id, kind, delta, quantity_after, reason,
         reference, created_at)
       SELECT merchant_id, variant_id, branch_id, 'opening', quantity, quantity, 'Opening stock from Shopify',
         'gid://shopify/Shop/bench', now() - interval '366 days'
       FROM bench_opening ORDER BY id""",
    """INSERT INTO stock_movements (merchant_id, variant_id, branch_id, kind, delta, quantity_after, reason,
         reference, actor_id, created_at)
       SELECT :merchant, p.variant_id, p.branch_id, 'sale', -p.quantity,
         o.quantity - sum(p.quantity) OVER (PARTITION BY p.variant_id, p.branch_id ORDER BY p.g, p.l),
         'Sale ' || s.code || '-C' || s.counter_id || '-' || lpad(s.number::text, 6, '0'),
         'gid://ismartsync/Sale/' || p.sale_id, s.cashier_id, s.at
       FROM bench_picks p JOIN bench_sale s ON s.g = p.g
         JOIN bench_opening o ON o.variant_id = p.variant_id AND o.branch_id = p.branch_id
       ORDER BY p.g, p.l""",
    """UPDATE counters c SET last_sale_number = n.top
       FROM (SELECT counter_id, max(number) AS top FROM sales GROUP BY counter_id) n WHERE n.counter_id = c.id""",
]


def _seed_history(session: Session, merchant_id: int, history: list[tuple]) -> None:
    _, counters, branches, codes, cashiers, registers, shifts = (list(column) for column in zip(*history, strict=True))
    params = {
        "merchant": merchant_id,
        "variants": PRODUCTS * VARIANTS_PER_PRODUCT,
        "sales": PAST_SALES,
        "lines": LINES_PER_SALE,
        "k": len(history),
        "counters": counters,
        "branches": branches,
        "codes": codes,
        "cashiers": cashiers,
        "registers": registers,
        "shifts": shifts,
    }
    for statement in HISTORY_SQL:
        names = set(re.findall(r"(?<!:):(\w+)", statement))
        session.execute(text(statement), {k: v for k, v in params.items() if k in names})
    for table in ("sales", "sale_lines", "sale_payments", "fiscal_documents", "stock_levels", "stock_movements"):
        session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))


def load_ids(session: Session) -> Ids:
    owner = session.scalar(select(User).where(User.email == OWNER_EMAIL))
    assert owner is not None, "the bench merchant is missing: run with --reseed"

    def counter_and_cashier(counter_name: str, email: str) -> tuple[int, int]:
        counter = session.scalar(
            select(Counter.id).where(Counter.merchant_id == owner.merchant_id, Counter.name == counter_name)
        )
        return counter, session.scalar(select(User.id).where(User.email == email))

    till, cashier = counter_and_cashier("Bench till", "cashier@counter-bench.example.com")
    rush = [
        counter_and_cashier(f"Rush {n:02d}", f"rush{n:02d}@counter-bench.example.com")
        for n in range(1, RUSH_COUNTERS + 1)
    ]
    variant_ids = session.scalars(select(Variant.id).where(Variant.merchant_id == owner.merchant_id)).all()
    hot = random.Random(10).sample(sorted(variant_ids), 10)
    return Ids(owner.merchant_id, owner.id, till, cashier, rush, hot)


# Requests, timed


class Tablet:
    """The bench till's tablet: paired by the owner, the cashier signed in by PIN, htmx requests with the CSRF token."""

    def __init__(self, app: Flask, ids: Ids) -> None:
        self.app, self.ids = app, ids
        self.client = app.test_client()
        client = self.client
        signed_in = client.post("/sign-in", data=self._form("/sign-in", email=OWNER_EMAIL, password=PASSWORD))
        assert signed_in.status_code == 303, "the owner's sign-in failed"
        paired = client.post(f"/device/pair/{ids.till}", data=self._form("/", label="Bench tablet"))
        assert paired.status_code == 303, "pairing failed"
        pin_url = f"/device/pin/{ids.cashier}"
        assert client.post(pin_url, data=self._form(pin_url, pin=PIN)).status_code == 303, "PIN sign-in failed"
        self.token = self._token("/counter")  # a PIN sign-in starts a new session, with a new token

    def _token(self, path: str) -> str:
        match = CSRF_RE.search(self.client.get(path).get_data(as_text=True))
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def _form(self, path: str, **values: str) -> dict[str, str]:
        return {"csrf_token": self._token(path), **values}

    def post(self, path: str, data: dict[str, str]) -> TestResponse:
        return self.client.post(path, data=data, headers={"HX-Request": "true", "X-CSRFToken": self.token})

    def get(self, path: str) -> TestResponse:
        return self.client.get(path, headers={"HX-Request": "true"})

    def scan(self, code: str) -> TestResponse:
        return self.post("/counter/cart/scan", {"code": code})

    def clear_cart(self) -> None:
        """Throw the till's cart away through the service (a cashier may not void), outside any timing."""
        with self.app.app_context():
            cart = carts.active_cart(db.session, db.session.get(Counter, self.ids.till))
            if cart is not None:
                carts.discard_cart(db.session, Actor(db.session.get(User, self.ids.cashier)), cart)
            db.session.commit()

    def cart(self) -> tuple[str, int]:
        with self.app.app_context():
            cart = carts.active_cart(db.session, db.session.get(Counter, self.ids.till))
            assert cart is not None
            return cart.uuid, cart.payable_minor


@dataclass
class Bench:
    """What the measurements share."""

    app: Flask
    ids: Ids
    tablet: Tablet
    probe: Probe
    codes: list[str]  # every variant's barcode
    queries: list[str]
    rng: random.Random
    report: Report = field(default_factory=Report)

    def fill_cart(self, lines: int) -> None:
        """An empty cart, then `lines` scans of random variants (untimed)."""
        self.tablet.clear_cart()
        for code in self.rng.sample(self.codes, lines):
            self.tablet.scan(code)

    def checkout_form(self) -> dict[str, str]:
        uuid, payable = self.tablet.cart()
        return {"sale_uuid": uuid, "cash": f"{payable / 100:.2f}", "salesperson": "0"}


def measure_scans(bench: Bench, runs: int) -> Series:
    """Scans into a cart of 3 to 7 lines: three untimed scans start each round, five timed ones follow."""
    series = Series()
    while len(series.samples) < runs:
        bench.fill_cart(3)
        for code in bench.rng.sample(bench.codes, 5):
            sample, _ = bench.probe.time(lambda c=code: bench.tablet.scan(c), 200)
            series.samples.append(sample)
    return series


def search_queries(session: Session, merchant_id: int, rng: random.Random) -> list[str]:
    """Common words, rare ones, partial SKUs and misses, as a cashier types them."""
    picked = session.execute(
        select(Variant.sku, Product.title)
        .join(Product, Product.id == Variant.product_id)
        .where(Variant.merchant_id == merchant_id)
        .order_by(Variant.id)
    ).all()
    sample = rng.sample(picked, 8)
    rare = [" ".join(title.lower().split()[-2:]) for _, title in sample[:4]]  # "gulnar 231": a product or two
    partial_skus = [sku[:-3].lower() for sku, _ in sample[4:]]  # "lp3-0123": ten products' worth
    common = ["lawn", "lawn 3pc", "khaddar kurta", "maroon xl", "chiffon dupatta", "eid lawn printed", "kurta m"]
    return [*common, RARE_COLOUR.lower(), "pashmina plum", *rare, *partial_skus, "zzqx", "velvetine kurta"]


def measure_searches(bench: Bench, runs: int) -> Series:
    series = Series()
    while len(series.samples) < runs:
        for query in bench.queries:
            sample, _ = bench.probe.time(lambda q=query: bench.tablet.get(f"/counter/cart/search?code={q}"), 200, query)
            series.samples.append(sample)
    return series


def measure_checkouts(bench: Bench, runs: int) -> Series:
    """Checkouts of a five-line cart paid in exact cash, the cart scanned in untimed first."""
    series = Series()
    for _ in range(runs):
        bench.fill_cart(5)
        form = bench.checkout_form()
        sample, response = bench.probe.time(lambda f=form: bench.tablet.post("/counter/checkout", f), 204)
        assert "HX-Redirect" in response.headers, "checkout did not place the sale"
        series.samples.append(sample)
    return series


def measure_fbr_checkouts(bench: Bench, runs: int) -> Series:
    """The same checkouts with the till reporting to FBR: the fiscal document written with its request in the
    checkout's transaction, then the inline attempt against an FBR sandbox process. The till is switched back
    afterwards, so the reused database measures the plain checkout again next time."""
    sandbox, url = start_fbr_sandbox(FBR_TOKEN, [FBR_POSID])
    app = bench.app
    app.config["FBR_API_BASE"] = url
    with app.app_context():
        merchant, till = db.session.get(Merchant, bench.ids.merchant), db.session.get(Counter, bench.ids.till)
        merchant.fiscal_backend, merchant.fbr_token, merchant.default_pct_code = "ims_cloud", FBR_TOKEN, "62044200"
        till.fbr_enabled, till.fbr_pos_id = True, FBR_POSID
        db.session.commit()
    try:
        for _ in range(3):  # a first connection and TLS-free handshake to the sandbox, untimed
            bench.fill_cart(5)
            bench.tablet.post("/counter/checkout", bench.checkout_form())
        series = measure_checkouts(bench, runs)
        reported = len(fbr_control(url, "GET", "/invoices")["invoices"])
        bench.report.check("every FBR checkout reported", reported == runs + 3, f"{reported} FBR invoices")
        return series
    finally:
        with app.app_context():
            merchant, till = db.session.get(Merchant, bench.ids.merchant), db.session.get(Counter, bench.ids.till)
            merchant.fiscal_backend, till.fbr_enabled, till.fbr_pos_id = "off", False, None
            db.session.commit()
        sandbox.terminate()
        sandbox.wait(10)


def warm_up(bench: Bench) -> None:
    for _ in range(3):
        bench.fill_cart(8)
    for query in bench.queries * 2:
        bench.tablet.get(f"/counter/cart/search?code={query}")
    for _ in range(5):
        bench.fill_cart(5)
        bench.tablet.post("/counter/checkout", bench.checkout_form())
    bench.tablet.clear_cart()


# Sizes


BROWSER_ENCODINGS = {"Accept-Encoding": "gzip, deflate, br, zstd"}  # what Chromium asks for


def _gzipped(body: bytes) -> int:
    return len(gzip.compress(body, compresslevel=6))


def measure_sizes(bench: Bench) -> dict[str, object]:
    """The counter page with a five-line cart and everything it loads, as the app sends them to a browser that
    accepts Brotli (the bytes of the bodies on the wire); the five-line cart fragment."""
    tablet = bench.tablet
    bench.fill_cart(4)
    fragment = tablet.scan(bench.rng.choice(bench.codes)).get_data()
    page = tablet.client.get("/counter", headers=BROWSER_ENCODINGS)
    html = tablet.client.get("/counter").get_data(as_text=True)
    assert 'id="cart"' in html and "Payable" in html, "the counter page is not the selling screen"
    parts = {"/counter (HTML)": len(page.get_data())}
    for path in dict.fromkeys(re.findall(r'(?:href|src)="(/static/[^"]+)"', html)):
        response = tablet.client.get(path, headers=BROWSER_ENCODINGS)
        assert response.status_code == 200, f"{path}: HTTP {response.status_code}"
        parts[path] = len(response.get_data())
        response.close()
    external = re.findall(r'(?:href|src|action)="((?:https?:)?//[^"]+)"', html)
    tablet.clear_cart()
    return {"parts": parts, "fragment": len(fragment), "fragment_gz": _gzipped(fragment), "external": external}


# Fifty cashiers at once


@dataclass
class CashierResult:
    sold: int = 0
    checkout_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _sell_once(session: Session, counter_id: int, user_id: int, variant_ids: list[int]) -> float:
    """One sale as the views make it: each scan its own transaction, then the checkout in one; returns its ms."""
    user, counter = session.get(User, user_id), session.get(Counter, counter_id)
    actor = Actor(user, branch_id=counter.branch_id, counter_id=counter.id)
    for variant_id in variant_ids:
        cart = carts.open_cart(session, actor, counter)
        carts.add_variant(session, cart, session.get(Variant, variant_id))
        uuid, payable = cart.uuid, cart.payable_minor
        session.commit()
    started = time.perf_counter()
    checkout_sale(session, actor, counter, uuid, [Payment(Tender.CASH, payable)])
    session.commit()
    return (time.perf_counter() - started) * 1000


def _cashier_loop(engine: sa.Engine, who: tuple[int, int], pool: list[int], until: float, out: CashierResult) -> None:
    rng = random.Random(who[0])
    with Session(engine) as session:
        while time.monotonic() < until:
            try:
                out.checkout_ms.append(_sell_once(session, *who, rng.sample(pool, rng.randint(1, 3))))
                out.sold += 1
            except Exception as exc:  # a failure is a finding: count it, and sell on
                session.rollback()
                out.errors.append(f"{type(exc).__name__}: {exc}"[:200])


def rush(
    url: str, who: list[tuple[int, int]], pools: list[list[int]], seconds: float
) -> tuple[list[CashierResult], float]:
    """A thread per (counter, cashier), each with its own Session on one engine, selling 1–3 items of its pool."""
    engine = sa.create_engine(url, pool_size=len(who) + 2, max_overflow=0, pool_pre_ping=True)
    results = [CashierResult() for _ in who]
    until = time.monotonic() + seconds
    threads = [
        threading.Thread(target=_cashier_loop, args=(engine, pair, pool, until, result))
        for pair, pool, result in zip(who, pools, results, strict=True)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    engine.dispose()
    return results, elapsed


def marks(session: Session) -> tuple[int, int]:
    """The last sale and movement ids: what came after was made by this run."""
    return (
        session.scalar(text("SELECT coalesce(max(id), 0) FROM sales")),
        session.scalar(text("SELECT coalesce(max(id), 0) FROM stock_movements")),
    )


def verify(session: Session, merchant_id: int, run_mark: tuple[int, int], rush_mark: tuple[int, int]) -> list:
    """The invariants after the rush, as (what, held, detail)."""
    touched, off = session.execute(
        text(
            """WITH touched AS (SELECT DISTINCT variant_id, branch_id FROM stock_movements WHERE id > :m),
                    sums AS (SELECT m.variant_id, m.branch_id, sum(m.delta) AS total FROM stock_movements m
                             JOIN touched USING (variant_id, branch_id) GROUP BY 1, 2)
               SELECT count(*), count(*) FILTER (WHERE l.quantity <> s.total)
               FROM sums s JOIN stock_levels l USING (variant_id, branch_id)"""
        ),
        {"m": run_mark[1]},
    ).one()
    duplicates = session.scalar(
        text(
            "SELECT count(*) FROM (SELECT 1 FROM sales WHERE number IS NOT NULL GROUP BY counter_id, number "
            "HAVING count(*) > 1) d"
        )
    )
    counters, gapped = _gaps(session, merchant_id)
    lines, moved, placed = _sold_and_moved(session, rush_mark)
    return [
        ("ledger: level = sum of movements", off == 0, f"{touched:,} variant×branch touched this run, {off} off"),
        ("no duplicate (counter, number)", duplicates == 0, f"{duplicates} duplicated"),
        ("numbers gapless 1..N per counter", gapped == 0, f"{counters} counters, {gapped} with a gap"),
        ("sale movements = sold lines", lines == moved, f"{moved:,} movements for {lines:,} lines in {placed:,} sales"),
    ]


def _gaps(session: Session, merchant_id: int) -> tuple[int, int]:
    """Counters, and those whose placed sales are not numbered exactly 1..last_sale_number."""
    return session.execute(
        text(
            """SELECT count(*), count(*) FILTER (WHERE n.placed <> n.top OR n.top <> c.last_sale_number
                                                   OR (n.placed > 0 AND n.first <> 1))
               FROM counters c CROSS JOIN LATERAL (
                 SELECT count(number) AS placed, coalesce(min(number), 0) AS first, coalesce(max(number), 0) AS top
                 FROM sales WHERE counter_id = c.id) n
               WHERE c.merchant_id = :merchant"""
        ),
        {"merchant": merchant_id},
    ).one()


def _sold_and_moved(session: Session, rush_mark: tuple[int, int]) -> tuple[int, int, int]:
    """Tracked lines of the sales placed since the mark, their sales' stock movements, and those sales."""
    return session.execute(
        text(
            """SELECT (SELECT count(*) FROM sale_lines l JOIN sales s ON s.id = l.sale_id
                       JOIN variants v ON v.id = l.variant_id
                       WHERE s.id > :s AND s.status = 'placed' AND v.tracked),
                      (SELECT count(*) FROM stock_movements m JOIN sales s
                         ON m.reference = 'gid://ismartsync/Sale/' || s.id
                       WHERE m.id > :m AND m.kind = 'sale' AND s.id > :s),
                      (SELECT count(*) FROM sales WHERE id > :s AND status = 'placed')"""
        ),
        {"s": rush_mark[0], "m": rush_mark[1]},
    ).one()


# The report


def report_sizes(report: Report, sizes: dict) -> None:
    parts: dict[str, int] = sizes["parts"]
    total = sum(parts.values())
    report.row(
        "counter page + assets, as sent", f"{total / 1024:.1f} KB ({total:,} bytes)", "≤ 40 KB", total <= PAGE_BUDGET
    )
    report.note(", ".join(f"{path.split('?')[0]} {size / 1024:.1f} KB" for path, size in parts.items()))
    third = sizes["external"]
    report.row(
        "third-party requests", f"{len(third)}" + (f": {', '.join(third[:3])}" if third else ""), "none", not third
    )
    raw, gz = sizes["fragment"], sizes["fragment_gz"]
    figures = f"{raw / 1024:.2f} KB raw ({raw:,} bytes), {gz / 1024:.2f} KB gzipped"
    report.row("cart fragment, 5 lines", figures, "≤ 4 KB raw", raw <= FRAGMENT_BUDGET)


def report_rush(report: Report, label: str, results: list[CashierResult], elapsed: float) -> None:
    sold = sum(r.sold for r in results)
    times = [t for r in results for t in r.checkout_ms]
    errors = [e for r in results for e in r.errors]
    each = sorted(r.sold for r in results)
    figures = f"{sold / elapsed:.1f} sales/s ({sold:,} sales in {elapsed:.1f} s; a cashier sold {each[0]}–{each[-1]})"
    report.row(label, figures)
    report.note(
        f"checkout_sale + COMMIT under this load: p50 {statistics.median(times):.0f}, "
        f"p95 {percentile(times, 0.95):.0f}, max {max(times):.0f} ms"
    )
    report.check("errors while selling", not errors, f"{len(errors)}" + (f" (first: {errors[0]})" if errors else ""))


# Running it


def make_app(url: str) -> Flask:
    return in_process_app(url)


def profile(bench: Bench, kind: str) -> None:
    """cProfile over 200 requests of one kind (their set-up not profiled); the 30 costliest functions, cumulative."""
    profiler = cProfile.Profile()
    tablet = bench.tablet
    for n in range(200):
        if kind == "scan":
            if n % 5 == 0:
                bench.fill_cart(3)
            profiler.runcall(tablet.scan, bench.rng.choice(bench.codes))
        elif kind == "search":
            profiler.runcall(tablet.get, f"/counter/cart/search?code={bench.queries[n % len(bench.queries)]}")
        else:
            bench.fill_cart(5)
            profiler.runcall(tablet.post, "/counter/checkout", bench.checkout_form())
    pstats.Stats(profiler).strip_dirs().sort_stats("cumulative").print_stats(30)


def _revision() -> str:
    """The commit measured, and whether the work tree differs from it (others may be editing)."""

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], capture_output=True, text=True, check=False).stdout.strip()

    changed = git("status", "--porcelain", "--untracked-files=no")
    return f"{git('rev-parse', '--short', 'HEAD') or 'unknown'}{' + uncommitted changes' if changed else ''}"


def _load() -> str:
    """Other work on the machine moves the tails: the figures say how busy it was."""
    return f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reseed", action="store_true", help="drop and rebuild the seeded database")
    parser.add_argument("--runs", type=int, default=300, help="timed requests of each kind")
    parser.add_argument("--cashiers", type=int, default=RUSH_COUNTERS, choices=range(1, RUSH_COUNTERS + 1))
    parser.add_argument("--seconds", type=float, default=20.0, help="how long the cashiers sell")
    parser.add_argument("--profile", choices=["scan", "search", "checkout"], help="profile one kind, then stop")
    args = parser.parse_args()
    url = postgres_url(os.environ.get("ISMARTSYNC_BENCH_DATABASE_URL") or DEFAULT_DATABASE)
    app = make_app(url)
    print(f"counter bench at {_revision()} on {sa.make_url(url).render_as_string(hide_password=True)}")
    state = prepare_database(app, url, args.reseed)
    rng = random.Random(7)
    with app.app_context():
        ids = load_ids(db.session)
        codes = list(db.session.scalars(select(Variant.barcode).where(Variant.merchant_id == ids.merchant)))
        queries = search_queries(db.session, ids.merchant, rng)
        run_mark = marks(db.session)
        probe = Probe(app, db.engine)
        calibration = round_trips(db.engine)
    print(
        f"  {len(codes):,} variants; {PAST_SALES * LINES_PER_SALE:,} past sale lines in {PAST_SALES:,} sales "
        f"over 2 branches and 6 counters; {state}"
    )
    bench = Bench(app, ids, Tablet(app, ids), probe, codes, queries, rng)
    if args.profile:
        profile(bench, args.profile)
        return
    print(f"  {calibration}; {_load()}")
    measure_requests(bench, args.runs)
    measure_rush(bench, url, args.cashiers, args.seconds, run_mark)
    print(f"\n{bench.report.summary()} ({_load()} at the end)")


def measure_requests(bench: Bench, runs: int) -> None:
    report = bench.report
    warm_up(bench)
    print(
        "\nrequests — server time: each request through the Flask test client in-process, timed around the call "
        "(CSRF on: the token goes in X-CSRFToken);\napp log: the duration the app's own request log records"
    )
    scans = measure_scans(bench, runs)
    report.row("scan → cart fragment", scans.figures(), "p95 ≤ 15 ms", scans.p95() <= BUDGET_MS["scan"])
    report.note(scans.split())
    searches = measure_searches(bench, runs)
    report.row("search over 100k variants", searches.figures(), "p95 ≤ 25 ms", searches.p95() <= BUDGET_MS["search"])
    report.note(searches.split())
    report.note(f"slowest queries (median ms): {searches.slowest(4)}")
    report.note(f"all queries: {', '.join(bench.queries)}")
    checkouts = measure_checkouts(bench, runs)
    report.row("checkout, 5-line cart", checkouts.figures(), "p95 ≤ 30 ms", checkouts.p95() <= BUDGET_MS["checkout"])
    report.note(checkouts.split())
    fbr = measure_fbr_checkouts(bench, runs)
    report.row("checkout at an FBR counter", fbr.figures(), "(no budget)")
    report.note(f"{fbr.split()}; the inline FBR report to a local FBR sandbox process included")
    print("\nsizes")
    report_sizes(report, measure_sizes(bench))


def measure_rush(bench: Bench, url: str, cashiers: int, seconds: float, run_mark: tuple[int, int]) -> None:
    """The hot-item rush, then the same cashiers on items of their own (no shared rows) to compare, then the checks."""
    who = bench.ids.rush[:cashiers]
    print(
        f"\nconcurrency — {cashiers} threads, each its own counter, open shift and SQLAlchemy Session on one engine "
        f"(pool {cashiers + 2}),\ncalling the services as the views do (each scan a transaction, then checkout); "
        f"one Python process (one GIL) and PostgreSQL share {os.cpu_count()} CPUs"
    )
    with bench.app.app_context():
        rush_mark = marks(db.session)
    results, elapsed = rush(url, who, [bench.ids.hot] * cashiers, seconds)
    report_rush(bench.report, f"{cashiers} cashiers, 10 hot variants", results, elapsed)
    own = [list(range(50_001 + 10 * n, 50_011 + 10 * n)) for n in range(cashiers)]  # seeded ids are 1..100,000
    results, elapsed = rush(url, who, own, seconds / 2)
    report_rush(bench.report, "the same, 10 variants each", results, elapsed)
    bench.report.note("(no row shared between cashiers: what differs from the line above is the hot rows' locks)")
    with bench.app.app_context():
        for label, held, detail in verify(db.session, bench.ids.merchant, run_mark, rush_mark):
            bench.report.check(label, held, detail)


if __name__ == "__main__":
    main()
