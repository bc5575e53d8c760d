"""Products and variants with stock per branch (on hand, reserved for online orders, available), a variant's tax
and quick key, its movement history."""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, flash, request
from flask_login import current_user
from sqlalchemy import Select, func, or_, select

from ismartsync.access import current_actor, permission_required, tenant_get_or_404
from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.forms.catalog import VariantTaxForm
from ismartsync.inputs import page_number
from ismartsync.models import Branch, Product, StockLevel, StockMovement, Variant
from ismartsync.permissions import Permission
from ismartsync.services import products
from ismartsync.services.online_orders.reserved import reserved_by_branch
from ismartsync.web.htmx import render

bp = Blueprint("catalog", __name__)
PAGE_SIZE = 50


def _like(term: str) -> str:
    escaped = term.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_variants(merchant_id: int, term: str, *, missing_pct_code: bool = False) -> Select:
    """Variants matching a name, SKU or barcode (exact codes first), for the list and later the counter;
    `missing_pct_code` keeps those without a PCT code of their own (FBR gets the merchant's default for them)."""
    query = (
        select(Variant)
        .join(Product)
        .where(Variant.merchant_id == merchant_id, Variant.deleted_at.is_(None))
        .order_by(Product.title, Variant.position, Variant.id)
    )
    if missing_pct_code:
        query = query.where(Variant.pct_code == "")
    term = term.strip()
    if term:
        pattern = _like(term)
        query = query.where(
            or_(
                Variant.barcode == term,
                Variant.internal_barcode == term,
                func.lower(Variant.sku) == term.lower(),
                func.lower(Product.title).like(pattern, escape="\\"),
                func.lower(Variant.title).like(pattern, escape="\\"),
                func.lower(Variant.sku).like(pattern, escape="\\"),
            )
        )
    return query


def _branches() -> list[Branch]:
    return list(
        db.session.scalars(select(Branch).where(Branch.merchant_id == current_user.merchant_id).order_by(Branch.name))
    )


def _levels(variant_ids: list[int]) -> dict[tuple[int, int], int]:
    if not variant_ids:
        return {}
    rows = db.session.execute(
        select(StockLevel.variant_id, StockLevel.branch_id, StockLevel.quantity).where(
            StockLevel.variant_id.in_(variant_ids)
        )
    )
    return {(v, b): q for v, b, q in rows}


@bp.get("/products")
@permission_required(Permission.PAGE_PRODUCTS)
def variants() -> object:
    term = request.args.get("q", "")
    missing = request.args.get("pct") == "missing"
    page = request.args.get("page", 1, type=page_number)
    rows = db.session.scalars(
        search_variants(current_user.merchant_id, term, missing_pct_code=missing)
        .limit(PAGE_SIZE + 1)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    shown = list(rows[:PAGE_SIZE])
    return render(
        "catalog/variants.html",
        "catalog/_variant_rows.html",
        variants=shown,
        levels=_levels([v.id for v in shown]),
        reserved=reserved_by_branch(db.session, [v.id for v in shown]),
        branches=_branches(),
        q=term,
        filters={"q": term, **({"pct": "missing"} if missing else {})},
        page=page,
        has_more=len(rows) > PAGE_SIZE,
    )


@bp.get("/products/variants/<int:variant_id>")
@permission_required(Permission.PAGE_PRODUCTS)
def variant(variant_id: int) -> object:
    return _variant_page(tenant_get_or_404(Variant, variant_id))


def _variant_page(row: Variant, status: int = 200, form: VariantTaxForm | None = None, **extra: object) -> object:
    if form is None:
        rate = None if row.tax_rate_bp is None else Decimal(row.tax_rate_bp) / 100
        form = VariantTaxForm(formdata=None, tax_rate=rate, pct_code=row.pct_code, third_schedule=row.third_schedule)
    movements = db.session.scalars(
        select(StockMovement).where(StockMovement.variant_id == row.id).order_by(StockMovement.id.desc()).limit(200)
    ).all()
    return render(
        "catalog/variant.html",
        "catalog/_variant_selling.html",
        status,
        variant=row,
        branches=_branches(),
        levels=_levels([row.id]),
        reserved=reserved_by_branch(db.session, [row.id]),
        form=form,
        quick_key=products.is_quick_key(db.session, row),
        movements=movements,
        **extra,
    )


@bp.post("/products/variants/<int:variant_id>/tax")
@permission_required(Permission.PAGE_PRODUCTS)
@permission_required(Permission.EDIT_SETTINGS)
def set_variant_tax(variant_id: int) -> object:
    """The variant's own tax rate, PCT code and Third-Schedule flag, which the counter prices with."""
    row = tenant_get_or_404(Variant, variant_id)
    form = VariantTaxForm()
    if not form.validate():
        return _variant_page(row, 422, form)
    products.set_variant_tax(
        db.session,
        current_actor(),
        row,
        tax_rate_bp=None if form.tax_rate.data is None else int(form.tax_rate.data * 100),
        pct_code=(form.pct_code.data or "").replace(".", ""),
        third_schedule=form.third_schedule.data,
    )
    db.session.commit()
    flash("Tax saved.", "success")
    return _variant_page(row)


@bp.post("/products/variants/<int:variant_id>/quick-key")
@permission_required(Permission.PAGE_PRODUCTS)
@permission_required(Permission.EDIT_SETTINGS)
def set_quick_key(variant_id: int) -> object:
    row = tenant_get_or_404(Variant, variant_id)
    try:
        products.set_quick_key(db.session, current_actor(), row, request.form.get("on") == "1")
    except DomainError as exc:
        db.session.rollback()
        return _variant_page(row, 422, error=exc.message)
    db.session.commit()
    return _variant_page(row)
