"""Flask CLI commands: `flask seed-demo`, `flask sweep-emails`, `flask shopify-check`."""

from __future__ import annotations

import click
from flask import Flask, current_app
from sqlalchemy import select

from ismartsync.extensions import db
from ismartsync.models import AuditEntry, Branch, Counter, PaymentMethod, Role, Tender, User
from ismartsync.models.merchant import FiscalBackendKind, FiscalEnvironment
from ismartsync.passwords import hash_password, hash_pin
from ismartsync.services import merchants
from ismartsync.services.audit import Actor
from ismartsync.services.email import requeue_stale_emails
from ismartsync.services.fiscal.settings import update_counter_fbr, update_fbr_settings
from ismartsync.services.payment_methods import create_payment_method
from ismartsync.services.shopify_store.subscriptions import SYNC_TOPICS, webhook_address
from ismartsync.shopify.oauth import split_scopes
from ismartsync.shopify.store_check import Expected, Report, check_store

DEMO_PASSWORD = "demo-password-1"
DEMO_OWNER = "owner@zari.example.com"
# (role, name, email, PIN, branch codes; None = every branch)
DEMO_STAFF = [
    ("Owner", "Ayesha Khan", DEMO_OWNER, "2580", None),
    ("Manager", "Bilal Ahmed", "manager@zari.example.com", "1357", None),
    ("Cashier", "Sana Iqbal", "cashier@zari.example.com", "2468", ["GUL"]),
    ("Cashier", "Usman Tariq", "cashier2@zari.example.com", "3691", ["DHA"]),
    ("Inventory", "Hamza Raza", "inventory@zari.example.com", "4826", ["GUL", "DHA"]),
    ("Accountant", "Mariam Siddiqui", "accountant@zari.example.com", "5937", None),
]
# (kind, name, account title, account number, IBAN): the IBAN's check digits are right (mod 97); the account is made up.
DEMO_PAYMENT_METHODS = [
    (Tender.BANK, "Meezan Bank", "Zari Textiles (Pvt) Ltd", "0101 0104567890", "PK85MEZN0001010104567890"),
    (Tender.WALLET, "JazzCash", "Ayesha Khan", "0300 1234567", ""),
]

# FBR: the demo reports to the FBR sandbox (scripts/run-demo.sh registers this token for these POSIDs there).
DEMO_FBR_TOKEN = "zari-demo-7f3b9c2e-51d4-4e8a-9b61-0c2d4e6f8a10"
DEMO_FBR_POSIDS = {
    ("GUL", "Counter 1"): 810001,
    ("GUL", "Counter 2"): 810002,
    ("DHA", "Counter 1"): 810003,
    ("DHA", "Counter 2"): 810004,
}
DEMO_PCT_CODE = "62044200"  # women's dresses of cotton: sent for products without a PCT code of their own


def seed_demo() -> list[tuple[str, str, str, str]]:
    """Create the demo merchant once; return (role, name, email, PIN) of its staff."""
    if db.session.scalar(select(User).where(User.email == DEMO_OWNER)) is None:
        owner = merchants.sign_up_owner(
            db.session,
            legal_name="Zari Textiles (Private) Limited",
            brand_name="Zari",
            owner_name="Ayesha Khan",
            email=DEMO_OWNER,
            password=DEMO_PASSWORD,
        )
        merchant = owner.merchant
        merchant.ntn, merchant.strn, merchant.tax_office = "1234567-8", "3277876127954", "RTO Lahore"
        merchant.address, merchant.phone = "42-B Main Boulevard, Gulberg III, Lahore", "+92 42 35781234"
        merchant.drawer_limit_minor = 50_000_00  # the counter asks for a safe drop above Rs 50,000
        main = db.session.scalar(select(Branch).where(Branch.merchant_id == merchant.id))
        main.name, main.code, main.address = "Gulberg", "GUL", "42-B Main Boulevard, Gulberg III, Lahore"
        dha = Branch(merchant=merchant, name="DHA Phase 5", code="DHA", address="Commercial Area, DHA Phase 5, Lahore")
        db.session.add(dha)
        db.session.add_all(
            [
                Counter(merchant=merchant, branch=main, name="Counter 2"),
                Counter(merchant=merchant, branch=dha, name="Counter 1"),
                Counter(merchant=merchant, branch=dha, name="Counter 2"),
            ]
        )
        db.session.flush()
        roles = {r.name: r for r in db.session.scalars(select(Role).where(Role.merchant_id == merchant.id))}
        branches = {b.code: b for b in db.session.scalars(select(Branch).where(Branch.merchant_id == merchant.id))}
        owner.pin_hash = hash_pin(DEMO_STAFF[0][3])
        for role, name, email, pin, codes in DEMO_STAFF[1:]:
            db.session.add(
                User(
                    merchant=merchant,
                    email=email,
                    full_name=name,
                    role=roles[role],
                    password_hash=hash_password(DEMO_PASSWORD),
                    pin_hash=hash_pin(pin),
                    all_branches=codes is None,
                    branches=[branches[c] for c in codes or []],
                )
            )
        db.session.commit()
    _seed_payment_methods()
    _seed_fbr()
    return [(role, name, email, pin) for role, name, email, pin, _ in DEMO_STAFF]


def _seed_payment_methods() -> None:
    """A bank account and a wallet for the counter, also in a demo database made before payment types existed."""
    owner = db.session.scalar(select(User).where(User.email == DEMO_OWNER))
    if db.session.scalar(select(PaymentMethod.id).where(PaymentMethod.merchant_id == owner.merchant_id)) is not None:
        return
    for kind, name, title, number, iban in DEMO_PAYMENT_METHODS:
        create_payment_method(
            db.session, Actor(owner), kind=kind, name=name, account_title=title, account_number=number, iban=iban
        )
    db.session.commit()


def _seed_fbr() -> None:
    """Report to the FBR sandbox, also in a demo database made before FBR settings existed.

    Only while FBR was never set (off, no token, nothing in the audit log): whatever a person chose in
    Settings → FBR, switching it off included, stays as it is.
    """
    owner = db.session.scalar(select(User).where(User.email == DEMO_OWNER))
    merchant = owner.merchant
    ever_set = db.session.scalar(
        select(AuditEntry.id).where(AuditEntry.merchant_id == merchant.id, AuditEntry.action == "settings.fbr")
    )
    untouched = merchant.fiscal_backend == FiscalBackendKind.OFF and merchant.fbr_token is None
    if ever_set is not None or not untouched or not merchant.ntn:
        return
    actor = Actor(owner)
    update_fbr_settings(
        db.session,
        actor,
        merchant,
        fiscal_backend=FiscalBackendKind.IMS_CLOUD,
        fiscal_environment=FiscalEnvironment.SANDBOX,
        default_pct_code=DEMO_PCT_CODE,
        new_token=DEMO_FBR_TOKEN,
    )
    counters = db.session.scalars(select(Counter).where(Counter.merchant_id == merchant.id)).all()
    taken = {c.fbr_pos_id for c in counters}
    for counter in counters:
        pos_id = DEMO_FBR_POSIDS.get((counter.branch.code, counter.name))
        if pos_id is not None and counter.fbr_pos_id is None and pos_id not in taken:
            update_counter_fbr(db.session, actor, counter, enabled=True, pos_id=pos_id)
    db.session.commit()


def shopify_check(shop: str, token: str | None, *, app_config: bool = False, webhook_url: str | None = None) -> Report:
    """Check a store: through `token`, or else through the connection of the merchant who connected `shop` here."""
    from ismartsync.models import ShopifyConnection
    from ismartsync.models.shopify import ConnectionStatus
    from ismartsync.pipelines.shopify_client import open_client
    from ismartsync.queue import redis_connection
    from ismartsync.shopify.client import ShopifyClient

    config = current_app.config
    topics: tuple[str, ...] | None = None if app_config else SYNC_TOPICS
    report = Report()
    if token:
        client = ShopifyClient(shop, token, api_base_template=config["SHOPIFY_API_BASE"], redis=redis_connection())
    else:
        connection = db.session.scalar(
            select(ShopifyConnection).where(
                ShopifyConnection.shop_domain == shop, ShopifyConnection.status == ConnectionStatus.CONNECTED
            )
        )
        if connection is None:
            report.problem(f"No merchant has {shop} connected here: pass --token to check it directly.")
            return report
        client = open_client(db.session, connection.merchant_id)
        db.session.commit()  # a renewed token is kept
        topics = None if connection.uses_app_config else SYNC_TOPICS
        if not connection.can_verify_webhooks:
            report.problem(
                "Webhooks: connected with an admin token but no API secret key, so no webhook can be verified and "
                "none are subscribed. Add the key under Settings → Shopify."
            )
            topics = ()
    expected = Expected(split_scopes(config["SHOPIFY_SCOPES"]), topics, webhook_url or webhook_address(config))
    with client:
        found = check_store(client, expected)
    report.lines.extend(found.lines)
    return report


def init_app(app: Flask) -> None:
    @app.cli.command("seed-demo")
    def seed_demo_command() -> None:
        """Create the demo merchant (two branches, two counters each reporting to the FBR sandbox, one member per role,
        a bank and a wallet)."""
        staff = seed_demo()
        click.echo(f"\nDemo sign-ins (password for all: {DEMO_PASSWORD})")
        for role, name, email, pin in staff:
            click.echo(f"  {role:<11} {name:<16} {email:<36} PIN {pin}")
        click.echo()

    @app.cli.command("sweep-emails")
    def sweep_emails_command() -> None:
        """Enqueue again the emails left behind by a Redis outage or a dead worker."""
        count = requeue_stale_emails(db.session)
        db.session.commit()
        click.echo(f"{count} email(s) enqueued again")

    @app.cli.command("shopify-check")
    @click.argument("shop", required=False)
    @click.option("--shop", "shop_option", help="The store's .myshopify.com domain (or give it as the argument).")
    @click.option("--token", help="An admin API token for SHOP (else the token of the merchant who connected it).")
    @click.option(
        "--app-config", is_flag=True, help="The token is our app's: webhooks come from shopify.app.toml, not the API."
    )
    @click.option("--webhook-url", help="Where webhooks must go (default: ISMARTSYNC_SHOPIFY_WEBHOOK_URL or BASE_URL).")
    def shopify_check_command(
        shop: str | None, shop_option: str | None, token: str | None, app_config: bool, webhook_url: str | None
    ) -> None:
        """Check a Shopify store: granted scopes, webhook subscriptions, the API version served, and one read of
        each kind (shop, products, locations, inventory levels, orders). Exits 1 when something is wrong."""
        shop = shop or shop_option
        if not shop:
            raise click.UsageError("Name the store: flask shopify-check your-store.myshopify.com")
        report = shopify_check(shop, token, app_config=app_config, webhook_url=webhook_url)
        for fine, message in report.lines:
            click.echo(f"{'ok     ' if fine else 'PROBLEM'} {message}")
        if report.problems:
            click.echo(f"\n{len(report.problems)} problem(s) with {shop}.")
            raise SystemExit(1)
        click.echo(f"\n{shop} is ready for iSmartSync.")
