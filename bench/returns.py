"""A return at an FBR counter against a checkout measured in the same run, on PostgreSQL.

Each round rings up a five-line cart (untimed scans), checks it out (timed: POST /counter/checkout, the sale's fiscal
document written in its transaction, then the inline FBR attempt), then returns two of its lines (timed: POST
/counter/returns: the sale locked, returnable quantities read, refunds pro-rated, cash out of the drawer, two stock
movements back through the ledger, the credit note written, then its inline FBR attempt). Checkout and return
alternate, so whatever else the machine does weighs on both alike; the return's figures are read as a ratio to the
checkout's (target: ≤ 1.2×). Both go through the Flask test client in-process with CSRF on, the FBR sandbox in a
process of its own.

Run with `make bench` (or `python -m bench.returns --runs 200`). The database (ISMARTSYNC_BENCH_RETURNS_DATABASE_URL,
default postgresql+psycopg://postgres@127.0.0.1/ismartsync_bench_returns) is recreated each run.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import uuid

import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import func, select
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
    start_fbr_sandbox,
)
from ismartsync.extensions import db
from ismartsync.models import Branch, Counter, FiscalDocument, Product, Role, SaleLine, SaleReturn, User, Variant
from ismartsync.passwords import hash_pin
from ismartsync.services import cart as carts
from ismartsync.services.audit import Actor
from ismartsync.services.cash.registers import open_shift, start_register
from ismartsync.services.merchants import sign_up_owner
from ismartsync.services.stock.ledger import record_opening_stock

DEFAULT_DATABASE = "postgresql+psycopg://postgres@127.0.0.1/ismartsync_bench_returns"
OWNER_EMAIL, MANAGER_EMAIL, PASSWORD, PIN = "owner@returns-bench.pk", "manager@returns-bench.pk", "bench-pass-1", "2580"
FBR_TOKEN, FBR_POSID = "bench-returns-token", 840001
VARIANTS = 200
TARGET_RATIO = 1.2
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def seed() -> tuple[int, int, int]:
    """A merchant reporting to FBR, its till with the manager's shift open, 200 items in stock. (till, manager,
    merchant) ids."""
    owner = sign_up_owner(
        db.session,
        legal_name="Returns Bench (Pvt) Ltd",
        brand_name="Returns Bench",
        owner_name="Owner",
        email=OWNER_EMAIL,
        password=PASSWORD,
    )
    merchant = owner.merchant
    merchant.ntn, merchant.fiscal_backend, merchant.fbr_token = "1234567-8", "ims_cloud", FBR_TOKEN
    merchant.default_pct_code = "62044200"
    branch = db.session.scalar(select(Branch).where(Branch.merchant_id == merchant.id))
    till = db.session.scalar(select(Counter).where(Counter.branch_id == branch.id))
    till.fbr_enabled, till.fbr_pos_id = True, FBR_POSID
    role = db.session.scalar(select(Role).where(Role.merchant_id == merchant.id, Role.name == "Manager"))
    manager = User(
        merchant_id=merchant.id,
        email=MANAGER_EMAIL,
        full_name="Bench Manager",
        role=role,
        pin_hash=hash_pin(PIN),
        all_branches=True,
    )
    product = Product(merchant_id=merchant.id, shopify_id="gid://shopify/Product/1", title="Lawn 3pc")
    db.session.add_all([manager, product])
    variants = [
        Variant(
            merchant_id=merchant.id,
            product=product,
            shopify_id=f"gid://shopify/ProductVariant/{n}",
            title=f"Design {n}",
            sku=f"LP3-{n:04d}",
            barcode=f"89640{n:08d}",
            price_minor=149_000 + 10_000 * (n % 10),
        )
        for n in range(1, VARIANTS + 1)
    ]
    db.session.add_all(variants)
    db.session.flush()
    record_opening_stock(db.session, branch, {v.id: 10_000 for v in variants}, "opening")
    start_register(db.session, Actor(owner), till, 10_000_000)
    open_shift(db.session, Actor(manager), till)
    db.session.commit()
    return till.id, manager.id, merchant.id


class Tablet:
    """The till's tablet: paired by the owner, the manager signed in by PIN, htmx posts with the CSRF token."""

    def __init__(self, app: Flask, till: int, manager: int) -> None:
        self.app, self.till = app, till
        self.client = app.test_client()
        signed_in = self.client.post("/sign-in", data=self._form("/sign-in", email=OWNER_EMAIL, password=PASSWORD))
        assert signed_in.status_code == 303, "the owner's sign-in failed"
        assert self.client.post(f"/device/pair/{till}", data=self._form("/", label="Bench")).status_code == 303
        pin_url = f"/device/pin/{manager}"
        assert self.client.post(pin_url, data=self._form(pin_url, pin=PIN)).status_code == 303, "PIN sign-in failed"
        self.token = self._token("/counter")

    def _token(self, path: str) -> str:
        match = CSRF_RE.search(self.client.get(path).get_data(as_text=True))
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def _form(self, path: str, **values: str) -> dict[str, str]:
        return {"csrf_token": self._token(path), **values}

    def post(self, path: str, data: dict[str, str]) -> TestResponse:
        return self.client.post(path, data=data, headers={"HX-Request": "true", "X-CSRFToken": self.token})

    def ring_up(self, codes: list[str]) -> dict[str, str]:
        """Scan `codes` into the cart (untimed); the checkout form paying it in exact cash."""
        for code in codes:
            self.post("/counter/cart/scan", {"code": code})
        with self.app.app_context():
            cart = carts.active_cart(db.session, db.session.get(Counter, self.till))
            assert cart is not None and len(cart.lines) == len(codes)
            return {"sale_uuid": cart.uuid, "cash": f"{cart.payable_minor / 100:.2f}", "salesperson": "0"}

    def return_form(self, sale_id: int) -> dict[str, str]:
        """Two of the sale's five lines back, one unit each, restocked, refunded to the original tender (cash)."""
        with self.app.app_context():
            lines = db.session.scalars(select(SaleLine.id).where(SaleLine.sale_id == sale_id).order_by(SaleLine.id))
            first, second = list(lines)[:2]
        form = {"sale_id": str(sale_id), "return_uuid": str(uuid.uuid4()), "refund": "original"}
        for line_id, reason in ((first, "wrong_size"), (second, "changed_mind")):
            form |= {f"quantity-{line_id}": "1", f"reason-{line_id}": reason, f"restock-{line_id}": "on"}
        return form


def measure(app: Flask, tablet: Tablet, probe: Probe, codes: list[str], runs: int) -> tuple[Series, Series]:
    """`runs` rounds of checkout then return, alternating; the first five rounds warm up, untimed."""
    checkouts, returns = Series(), Series()
    for n in range(runs + 5):
        form = tablet.ring_up(codes[(5 * n) % len(codes) : (5 * n) % len(codes) + 5])
        sample, response = probe.time(lambda f=form: tablet.post("/counter/checkout", f), 204)
        sale_id = int(response.headers["HX-Redirect"].rsplit("/", 1)[1])
        back = tablet.return_form(sale_id)
        returned, answer = probe.time(lambda f=back: tablet.post("/counter/returns", f), 204)
        assert answer.headers["HX-Redirect"].startswith("/counter/refunds/"), "the return was not recorded"
        if n >= 5:
            checkouts.samples.append(sample)
            returns.samples.append(returned)
    return checkouts, returns


def ratio(returns: Series, checkouts: Series, share: float) -> float:
    return percentile([s.ms for s in returns.samples], share) / percentile([s.ms for s in checkouts.samples], share)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=200, help="timed checkouts and returns of each")
    args = parser.parse_args()
    url = postgres_url(os.environ.get("ISMARTSYNC_BENCH_RETURNS_DATABASE_URL") or DEFAULT_DATABASE)
    create_database(url, drop=True)
    sandbox, fbr_url = start_fbr_sandbox(FBR_TOKEN, [FBR_POSID])
    app = in_process_app(url, FBR_API_BASE=fbr_url)
    report = Report()
    try:
        with app.app_context():
            upgrade()
            till, manager, merchant_id = seed()
            codes = list(db.session.scalars(select(Variant.barcode).order_by(Variant.id)))
            probe = Probe(app, db.engine)
        print(
            f"returns bench on {sa.make_url(url).render_as_string(hide_password=True)}: {args.runs} rounds of a "
            f"5-line checkout then a 2-line return at an FBR counter; load average {os.getloadavg()[0]:.1f} "
            f"on {os.cpu_count()} CPUs"
        )
        checkouts, returns = measure(app, Tablet(app, till, manager), probe, codes, args.runs)
        report.row("checkout, 5 lines, FBR counter", checkouts.figures(), "(the yardstick)")
        report.note(checkouts.split())
        report.row("return of 2 lines of it", returns.figures())
        report.note(returns.split())
        p50, p95 = ratio(returns, checkouts, 0.5), ratio(returns, checkouts, 0.95)
        means = statistics.mean(s.ms for s in returns.samples) / statistics.mean(s.ms for s in checkouts.samples)
        report.row(
            "return ÷ checkout",
            f"p50 {p50:.2f}×  p95 {p95:.2f}×  (means {means:.2f}×)",
            f"≤ {TARGET_RATIO}×",
            p95 <= TARGET_RATIO,
        )
        invoices = fbr_control(fbr_url, "GET", "/invoices")["invoices"]
        notes = [i for i in invoices if i["body"]["InvoiceType"] == 3]
        with app.app_context():
            recorded = db.session.scalar(select(func.count(SaleReturn.id)).where(SaleReturn.merchant_id == merchant_id))
            reported = db.session.scalar(
                select(func.count(FiscalDocument.id)).where(
                    FiscalDocument.invoice_type == "3", FiscalDocument.status == "reported"
                )
            )
        rounds = args.runs + 5
        report.check(
            "every return a credit note at FBR",
            recorded == reported == len(notes) == rounds,
            f"{recorded} returns, {reported} credit notes reported, {len(notes)} recorded by the FBR sandbox",
        )
        print(f"\n{report.summary()} (load average {os.getloadavg()[0]:.1f} at the end)")
    finally:
        sandbox.terminate()
        sandbox.wait(10)


if __name__ == "__main__":
    main()
