"""The cart on a counter: a draft sale that scans, searches, discounts and customers change until checkout.

The cart lives in the database, not the tablet, so a parked cart survives a restart and any counter of the branch can
recall it. Every change reprices the whole cart (services.pricing) and stores the figures on its lines.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from ismartsync.errors import DomainError
from ismartsync.models import Counter, Merchant, Sale, SaleLine, SaleStatus, StockLevel, Variant
from ismartsync.models.base import utcnow
from ismartsync.services.audit import Actor, record_audit
from ismartsync.services.fiscal.settings import counter_reports_to_fbr
from ismartsync.services.online_orders.reserved import check_available, reserved_query
from ismartsync.services.pricing import Discount, DiscountKind, LineInput, Totals, discount_amount, price_cart

MAX_QUANTITY = 9999
MAX_LINES = 200
SEARCH_LIMIT = 12


@dataclass(frozen=True)
class LineStock:
    """Branch stock beside a cart line: what is there, what of it online orders hold, and whether this cart asks for
    more than is available (on hand less reserved)."""

    on_hand: int
    short: bool
    reserved: int = 0

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


# Loading and creating


def active_cart(session: Session, counter: Counter, *, lock: bool = False) -> Sale | None:
    """The cart on this counter's screen (its unparked draft), with lines.

    `lock` holds its row for the transaction, for anything that changes it: a change racing the checkout of the
    same cart waits for it, then finds no cart (it was placed) instead of writing into a placed sale.
    """
    query = (
        select(Sale)
        .where(Sale.counter_id == counter.id, Sale.status == SaleStatus.DRAFT, Sale.parked_at.is_(None))
        .options(selectinload(Sale.lines))
    )
    if lock:
        query = query.with_for_update(of=Sale).execution_options(populate_existing=True)
    return session.scalar(query)


def open_cart(session: Session, actor: Actor, counter: Counter) -> Sale:
    """The counter's cart, locked, started if there is none (two tablets racing end with one cart)."""
    cart = active_cart(session, counter, lock=True)
    if cart is not None:
        return cart
    merchant = session.get(Merchant, counter.merchant_id)
    assert merchant is not None
    cart = Sale(
        merchant_id=counter.merchant_id,
        uuid=str(uuid.uuid4()),
        branch_id=counter.branch_id,
        counter_id=counter.id,
        cashier_id=actor.user.id,
        prices_include_tax=merchant.prices_include_tax,
        # FBR's Re 1 is charged on invoices issued through an integrated POS (SRO 1279): only where sales are reported.
        pos_fee_minor=merchant.pos_fee_minor if counter_reports_to_fbr(merchant, counter) else 0,
        lines=[],
    )
    try:
        with session.begin_nested():
            session.add(cart)
            session.flush()
    except IntegrityError:
        cart = active_cart(session, counter, lock=True)
        if cart is None:
            raise
    return cart


# Finding what to sell


def find_by_code(session: Session, merchant_id: int, code: str) -> Variant | None:
    """The variant a scanned code names: its barcode, our internal barcode, or else an exact SKU (None: no match).

    :raise DomainError: two variants share the barcode; the cashier picks one from the search instead.
    """
    code = code.strip()
    if not code:
        return None
    live = (Variant.merchant_id == merchant_id, Variant.deleted_at.is_(None))
    by_code = session.scalars(
        select(Variant).where(*live, or_(Variant.barcode == code, Variant.internal_barcode == code)).limit(2)
    ).all()
    if len(by_code) == 1:
        return by_code[0]
    if len(by_code) > 1:  # barcodes are not unique in Shopify: never guess which size or price was meant
        raise DomainError(f"More than one item has the barcode {code}. Pick the right one from the search.")
    by_sku = session.scalars(select(Variant).where(*live, Variant.sku == code).limit(2)).all()
    return by_sku[0] if len(by_sku) == 1 else None


def search_variants(session: Session, merchant_id: int, query: str, limit: int = SEARCH_LIMIT) -> list[Variant]:
    """Variants whose name, SKU or barcode hold every word of the query (a trigram index serves it)."""
    words = [w for w in query.lower().split() if w][:5]
    if not words:
        return []
    conditions = [Variant.search_text.contains(w, autoescape=True) for w in words]
    # No ORDER BY: sorting every match of a common word ("lawn": ~10k of 100k) before the LIMIT cost 20 ms;
    # the first matches the index yields, sorted here, answer at once, and one more word narrows them.
    found = session.scalars(
        select(Variant)
        .where(Variant.merchant_id == merchant_id, Variant.deleted_at.is_(None), *conditions)
        .limit(limit)
    ).all()
    return sorted(found, key=lambda v: v.search_text)


def branch_stock(session: Session, cart: Sale) -> dict[int, LineStock]:
    """Stock at the cart's branch for each tracked line, keyed by line id: on hand and reserved in one query."""
    variant_ids = [line.variant_id for line in cart.lines if line.variant_id]
    if not variant_ids:
        return {}
    held = reserved_query(cart.branch_id, variant_ids).subquery()
    rows = session.execute(
        select(Variant.id, StockLevel.quantity, held.c.reserved)
        .outerjoin(StockLevel, (StockLevel.variant_id == Variant.id) & (StockLevel.branch_id == cart.branch_id))
        .outerjoin(held, held.c.variant_id == Variant.id)
        .where(Variant.id.in_(variant_ids), Variant.tracked.is_(True))
    ).all()
    levels = {vid: (quantity or 0, int(reserved or 0)) for vid, quantity, reserved in rows}
    wanted: dict[int, int] = {}
    for line in cart.lines:
        if line.variant_id in levels:
            wanted[line.variant_id] = wanted.get(line.variant_id, 0) + line.quantity  # type: ignore[index]
    stock = {}
    for line in cart.lines:
        if line.variant_id in levels:
            on_hand, reserved = levels[line.variant_id]
            stock[line.id] = LineStock(on_hand, wanted[line.variant_id] > on_hand - reserved, reserved)
    return stock


# Changing lines


def _check_stock(session: Session, cart: Sale, variant: Variant, wanted: int) -> None:
    """Under the "block" policy, refuse a quantity the branch does not have, or that online orders hold (on hand
    and reserved in one query). Under "warn" the line shows it ("not enough") and checkout says which orders."""
    merchant = cart.merchant
    if not variant.tracked or merchant.negative_stock_policy != "block":
        return
    held = reserved_query(cart.branch_id, [variant.id]).subquery()
    row = session.execute(
        select(StockLevel.quantity, select(held.c.reserved).scalar_subquery()).where(
            StockLevel.variant_id == variant.id, StockLevel.branch_id == cart.branch_id
        )
    ).first()
    on_hand, reserved = (row[0], int(row[1] or 0)) if row else (0, 0)
    if wanted > on_hand:
        raise DomainError(f"Only {max(on_hand, 0)} of {variant.display_name} in stock here.")
    check_available(session, merchant, cart.branch_id, variant, wanted, on_hand, reserved)


def add_variant(session: Session, cart: Sale, variant: Variant, quantity: int = 1) -> SaleLine:
    """Put a variant in the cart; the same variant again (at its catalog price) adds to its line."""
    if variant.merchant_id != cart.merchant_id:
        raise ValueError("variant of another merchant")
    if variant.deleted_at is not None:
        raise DomainError(f"{variant.display_name} was removed from the catalog.")
    line = next(
        (ln for ln in cart.lines if ln.variant_id == variant.id and not ln.price_overridden and not ln.discount_kind),
        None,
    )
    if line is not None:
        set_quantity(session, cart, line, line.quantity + quantity)
        return line
    if len(cart.lines) >= MAX_LINES:
        raise DomainError(f"A cart holds at most {MAX_LINES} lines. Check this one out and start another.")
    in_cart = sum(ln.quantity for ln in cart.lines if ln.variant_id == variant.id)
    _check_stock(session, cart, variant, in_cart + quantity)
    merchant = cart.merchant
    line = SaleLine(
        merchant_id=cart.merchant_id,
        variant_id=variant.id,
        position=max((ln.position for ln in cart.lines), default=0) + 1,
        name=variant.display_name[:300],
        sku=variant.sku,
        barcode=variant.scan_code,
        pct_code=variant.pct_code,
        quantity=quantity,
        list_price_minor=variant.price_minor,
        unit_price_minor=variant.price_minor,
        tax_rate_bp=merchant.default_tax_rate_bp if variant.tax_rate_bp is None else variant.tax_rate_bp,
        third_schedule=variant.third_schedule,
    )
    cart.lines.append(line)
    reprice(cart)
    return line


def set_quantity(session: Session, cart: Sale, line: SaleLine, quantity: int) -> None:
    if not 1 <= quantity <= MAX_QUANTITY:
        raise DomainError(f"Enter a quantity from 1 to {MAX_QUANTITY:,}.", field="quantity")
    variant = session.get(Variant, line.variant_id) if line.variant_id else None
    if quantity > line.quantity and variant is not None:
        others = sum(ln.quantity for ln in cart.lines if ln.variant_id == line.variant_id and ln is not line)
        _check_stock(session, cart, variant, others + quantity)
    line.quantity = quantity
    reprice(cart)


def remove_line(session: Session, actor: Actor, cart: Sale, line: SaleLine) -> None:
    cart.lines.remove(line)
    reprice(cart)
    record_audit(
        session,
        actor,
        "cart.remove_line",
        f"Removed {line.quantity} × {line.name} from a cart",
        target=cart,
        branch_id=cart.branch_id,
        before={"quantity": line.quantity, "total_minor": line.total_minor},
    )


def discard_cart(session: Session, actor: Actor, cart: Sale) -> None:
    """Throw a cart away (a void of everything on it), audited with what it held."""
    record_audit(
        session,
        actor,
        "cart.discard",
        f"Cleared a cart of {cart.quantity} items ({cart.payable_minor / 100:,.2f})",
        target=cart,
        branch_id=cart.branch_id,
        before={"quantity": cart.quantity, "payable_minor": cart.payable_minor},
    )
    session.delete(cart)
    session.flush()


# Prices and discounts


def discount_base(cart: Sale, line: SaleLine | None) -> int:
    """What a discount is taken from: the line's gross, or the cart after line discounts."""
    if line is not None:
        return line.gross_minor
    return sum(ln.gross_minor - line_discount(ln) for ln in cart.lines)


def check_discount(cart: Sale, line: SaleLine | None, discount: Discount | None) -> None:
    """Refuse a discount that cannot be given at all (before anyone is asked to approve it)."""
    if discount is None:
        return
    if discount.value < 0:
        raise DomainError("A discount cannot be negative.", field="discount")
    if discount.kind is DiscountKind.PERCENT and discount.value > 10000:
        raise DomainError("Enter a percentage from 0 to 100.", field="discount")
    if discount.kind is DiscountKind.AMOUNT and discount.value > discount_base(cart, line):
        raise DomainError(f"The discount is more than the {'line' if line else 'cart'} total.", field="discount")


def set_discount(session: Session, actor: Actor, cart: Sale, line: SaleLine | None, discount: Discount | None) -> None:
    """Set (or clear, with None) a line's or the whole cart's discount; audited with who approved it."""
    check_discount(cart, line, discount)
    before = _discount_snapshot(cart, line)
    kind, value = (discount.kind.value, discount.value) if discount else (None, 0)
    # A new discount is judged afresh: what a supervisor approved for the old one does not carry over.
    if line is not None:
        line.discount_kind, line.discount_value, line.approved_discount_bp = kind, value, 0
    else:
        cart.order_discount_kind, cart.order_discount_value, cart.approved_discount_bp = kind, value, 0
    reprice(cart)
    record_audit(
        session,
        actor,
        "cart.discount",
        f"Discount on {line.name if line else 'the cart'}",
        target=cart,
        branch_id=cart.branch_id,
        before=before,
        after=_discount_snapshot(cart, line),
    )


def override_price(session: Session, actor: Actor, cart: Sale, line: SaleLine, unit_price_minor: int) -> None:
    """Charge another unit price on one line (permission "Edit price"), audited with the catalog price."""
    if not 0 <= unit_price_minor <= 100_000_000_00:
        raise DomainError("Enter a price from Rs 0 to Rs 100,000,000.", field="price")
    before = {"unit_price_minor": line.unit_price_minor, "list_price_minor": line.list_price_minor}
    line.unit_price_minor = unit_price_minor
    reprice(cart)
    record_audit(
        session,
        actor,
        "cart.price_override",
        f"Price of {line.name} changed",
        target=cart,
        branch_id=cart.branch_id,
        before=before,
        after={"unit_price_minor": unit_price_minor, "list_price_minor": line.list_price_minor},
    )


def line_discount(line: SaleLine) -> int:
    """The line's own discount in paisa (before its share of the cart's)."""
    return discount_amount(line.gross_minor, _discount(line.discount_kind, line.discount_value))


def _discount(kind: str | None, value: int) -> Discount | None:
    return Discount(DiscountKind(kind), value) if kind else None


def _discount_snapshot(cart: Sale, line: SaleLine | None) -> dict[str, object]:
    if line is not None:
        return {"line": line.name, "kind": line.discount_kind, "value": line.discount_value}
    return {"kind": cart.order_discount_kind, "value": cart.order_discount_value}


def reprice(cart: Sale) -> Totals:
    """Price the cart as it stands and store every figure on its lines and on the cart."""
    lines = sorted(cart.lines, key=lambda ln: ln.position)
    totals = price_cart(
        [
            LineInput(
                unit_price_minor=ln.unit_price_minor,
                quantity=ln.quantity,
                tax_rate_bp=ln.tax_rate_bp,
                third_schedule=ln.third_schedule,
                discount=_discount(ln.discount_kind, ln.discount_value),
            )
            for ln in lines
        ],
        prices_include_tax=cart.prices_include_tax,
        order_discount=_discount(cart.order_discount_kind, cart.order_discount_value),
        pos_fee_minor=cart.pos_fee_minor if lines else 0,
    )
    for ln, price in zip(lines, totals.lines, strict=True):
        ln.gross_minor = price.gross_minor
        ln.discount_minor = price.discount_minor
        ln.discount_excl_minor = price.discount_excl_minor
        ln.value_minor = price.value_minor
        ln.tax_minor = price.tax_minor
        ln.total_minor = price.total_minor
    cart.quantity = totals.quantity
    cart.subtotal_minor = totals.subtotal_minor
    cart.discount_minor = totals.discount_minor
    cart.value_minor = totals.value_minor
    cart.tax_minor = totals.tax_minor
    cart.total_minor = totals.grand_total_minor
    cart.payable_minor = totals.payable_minor
    cart.updated_at = utcnow()
    return totals
