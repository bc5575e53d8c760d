"""Settings: business profile, selling, payment types, branches and their counters and devices, FBR."""

from __future__ import annotations

from flask import Blueprint, abort, flash, url_for
from flask_login import current_user
from sqlalchemy import select

from ismartsync.access import current_actor, permission_required, tenant_get_or_404
from ismartsync.errors import DomainError
from ismartsync.extensions import db
from ismartsync.forms import attach_error
from ismartsync.forms.settings import (
    BranchForm,
    CounterForm,
    MerchantForm,
    PairDeviceForm,
    PaymentMethodActiveForm,
    PaymentMethodForm,
    SellingForm,
    TwoFactorPolicyForm,
    bp_to_percent,
    percent_to_bp,
)
from ismartsync.models import Branch, Counter, Device, PaymentMethod
from ismartsync.money import to_decimal, to_minor
from ismartsync.permissions import Effect, Permission
from ismartsync.services import merchants, two_factor
from ismartsync.services import payment_methods as payment_service
from ismartsync.web.htmx import hx_redirect_or, render

bp = Blueprint("settings", __name__, url_prefix="/settings")


def can_edit() -> bool:
    """Show the forms unless blocked: “Needs approval” asks for a supervisor's PIN on save."""
    return current_user.effect(Permission.EDIT_SETTINGS) is not Effect.BLOCKED


@bp.get("/business")
@permission_required(Permission.PAGE_SETTINGS)
def business() -> object:
    form = MerchantForm(obj=current_user.merchant)
    return render("settings/business.html", "settings/_business_form.html", form=form, can_edit=can_edit())


@bp.post("/business")
@permission_required(Permission.PAGE_SETTINGS)
@permission_required(Permission.EDIT_SETTINGS)
def update_business() -> object:
    form = MerchantForm()
    if form.validate_on_submit():
        values = {name: form[name].data for name in merchants.MERCHANT_FIELDS if name in form}
        try:
            merchants.update_merchant(db.session, current_actor(), current_user.merchant, values)
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
        else:
            db.session.commit()
            flash("Business profile saved.", "success")
            return render("settings/business.html", "settings/_business_form.html", form=form, can_edit=True)
    return render("settings/business.html", "settings/_business_form.html", 422, form=form, can_edit=True)


@bp.post("/security")
@permission_required(Permission.PAGE_SETTINGS)
def update_security() -> object:
    """Owners only: whether owners and managers must sign in with two-factor."""
    if not current_user.role.is_owner:
        abort(403)
    form = TwoFactorPolicyForm()
    if not form.validate_on_submit():
        abort(400)
    required = bool(form.require_two_factor.data)
    try:
        two_factor.require_two_factor(db.session, current_actor(), current_user.merchant, required)
    except DomainError as exc:
        flash(exc.message, "error")
        return hx_redirect_or(url_for("settings.business"))
    db.session.commit()
    if required:
        flash("Owners and managers now sign in with two-factor; those without it are asked to set it up.", "success")
    else:
        flash("Two-factor sign-in is now each member's choice.", "success")
    return hx_redirect_or(url_for("settings.business"))


@bp.get("/selling")
@permission_required(Permission.PAGE_SETTINGS)
def selling() -> object:
    merchant = current_user.merchant
    form = SellingForm(
        obj=merchant,
        default_tax_rate=bp_to_percent(merchant.default_tax_rate_bp),
        pos_fee=to_decimal(merchant.pos_fee_minor),
        cashier_discount_limit=bp_to_percent(merchant.cashier_discount_limit_bp),
        buyer_name_threshold=to_decimal(merchant.buyer_name_threshold_minor),
    )
    return render("settings/selling.html", "settings/_selling_form.html", form=form, can_edit=can_edit())


@bp.post("/selling")
@permission_required(Permission.PAGE_SETTINGS)
@permission_required(Permission.EDIT_SETTINGS)
def update_selling() -> object:
    form = SellingForm()
    if form.validate_on_submit():
        try:
            merchants.update_selling_settings(
                db.session,
                current_actor(),
                current_user.merchant,
                prices_include_tax=form.prices_include_tax.data,
                default_tax_rate_bp=percent_to_bp(form.default_tax_rate.data),
                negative_stock_policy=form.negative_stock_policy.data,
                pos_fee_minor=to_minor(form.pos_fee.data),
                cashier_discount_limit_bp=percent_to_bp(form.cashier_discount_limit.data),
                buyer_name_threshold_minor=to_minor(form.buyer_name_threshold.data),
                receipt_link_days=form.receipt_link_days.data,
            )
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
        else:
            db.session.commit()
            flash("Selling settings saved.", "success")
            return render("settings/selling.html", "settings/_selling_form.html", form=form, can_edit=True)
    return render("settings/selling.html", "settings/_selling_form.html", 422, form=form, can_edit=True)


# Payment types


def _payment_methods_page(status: int = 200, form: PaymentMethodForm | None = None) -> object:
    return render(
        "settings/payment_methods.html",
        "settings/_payment_methods.html",
        status,
        methods=payment_service.payment_methods_of(db.session, current_user.merchant_id),
        form=form or PaymentMethodForm(formdata=None),
        can_edit=can_edit(),
    )


def _method_values(form: PaymentMethodForm) -> dict[str, str]:
    return {name: form[name].data or "" for name in ("kind", "name", "account_number", "account_title", "iban")}


@bp.get("/payment-types")
@permission_required(Permission.PAGE_SETTINGS)
def payment_methods() -> object:
    return _payment_methods_page()


@bp.post("/payment-types")
@permission_required(Permission.PAGE_SETTINGS)
@permission_required(Permission.EDIT_SETTINGS)
def create_payment_method() -> object:
    form = PaymentMethodForm()
    if form.validate_on_submit():
        try:
            method = payment_service.create_payment_method(db.session, current_actor(), **_method_values(form))
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
        else:
            db.session.commit()
            flash(f"{method.name} added: the counter offers it now.", "success")
            return _payment_methods_page()
    return _payment_methods_page(422, form)


def _payment_method_page(method: PaymentMethod, status: int = 200, form: PaymentMethodForm | None = None) -> object:
    return render(
        "settings/payment_method.html",
        "settings/_payment_method_form.html",
        status,
        method=method,
        form=form or PaymentMethodForm(formdata=None, obj=method),
        can_edit=can_edit(),
    )


@bp.get("/payment-types/<int:payment_method_id>")
@permission_required(Permission.PAGE_SETTINGS)
def payment_method(payment_method_id: int) -> object:
    return _payment_method_page(tenant_get_or_404(PaymentMethod, payment_method_id))


@bp.post("/payment-types/<int:payment_method_id>")
@permission_required(Permission.PAGE_SETTINGS)
@permission_required(Permission.EDIT_SETTINGS)
def update_payment_method(payment_method_id: int) -> object:
    method = tenant_get_or_404(PaymentMethod, payment_method_id)
    form = PaymentMethodForm()
    if form.validate_on_submit():
        try:
            payment_service.update_payment_method(db.session, current_actor(), method, **_method_values(form))
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
        else:
            db.session.commit()
            flash(f"{method.name} saved.", "success")
            return _payment_method_page(method)
    return _payment_method_page(method, 422, form)


@bp.post("/payment-types/<int:payment_method_id>/active")
@permission_required(Permission.PAGE_SETTINGS)
@permission_required(Permission.EDIT_SETTINGS)
def set_payment_method_active(payment_method_id: int) -> object:
    method = tenant_get_or_404(PaymentMethod, payment_method_id)
    active = PaymentMethodActiveForm().active.data
    payment_service.set_payment_method_active(db.session, current_actor(), method, active)
    db.session.commit()
    state = "offered at the counter again" if method.active else "switched off: past sales keep it"
    flash(f"{method.name} {state}.", "success")
    return _payment_methods_page()


def merchant_branches() -> list[Branch]:
    """The signed-in member's merchant's branches, by name."""
    return list(
        db.session.scalars(select(Branch).where(Branch.merchant_id == current_user.merchant_id).order_by(Branch.name))
    )


@bp.get("/branches")
@permission_required(Permission.PAGE_SETTINGS)
def branches() -> object:
    return render("settings/branches.html", None, branches=merchant_branches(), form=BranchForm(), can_edit=can_edit())


@bp.post("/branches")
@permission_required(Permission.PAGE_SETTINGS)
@permission_required(Permission.EDIT_SETTINGS)
def create_branch() -> object:
    form = BranchForm()
    if form.validate_on_submit():
        try:
            branch = merchants.create_branch(db.session, current_actor(), form.data)
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
        else:
            db.session.commit()
            flash(f"Branch {branch.name} added.", "success")
            return hx_redirect_or(url_for("settings.branch", branch_id=branch.id))
    return render(
        "settings/branches.html",
        "settings/_branch_new.html",
        422,
        branches=merchant_branches(),
        form=form,
        can_edit=True,
    )


def _branch_page(branch: Branch, status: int = 200, **forms: object) -> object:
    devices = db.session.scalars(
        select(Device)
        .join(Counter)
        .where(Counter.branch_id == branch.id, Device.revoked_at.is_(None))
        .order_by(Device.paired_at)
    ).all()
    counter_form = forms.get("counter_form") or CounterForm(formdata=None)
    counter_form.name.id = "new-counter-name"  # the branch form on the same page has its own "name"
    context = {
        "branch": branch,
        "form": forms.get("form") or BranchForm(obj=branch),
        "counter_form": counter_form,
        "pair_form": PairDeviceForm(formdata=None),
        "devices": devices,
        "can_edit": can_edit(),
        "can_pair": current_user.can(Permission.PAIR_DEVICE),
    }
    fragment = forms.get("fragment")
    return render("settings/branch.html", fragment, status, **context)  # type: ignore[arg-type]


@bp.get("/branches/<int:branch_id>")
@permission_required(Permission.PAGE_SETTINGS)
def branch(branch_id: int) -> object:
    return _branch_page(tenant_get_or_404(Branch, branch_id))


@bp.post("/branches/<int:branch_id>")
@permission_required(Permission.PAGE_SETTINGS)
@permission_required(Permission.EDIT_SETTINGS)
def update_branch(branch_id: int) -> object:
    branch = tenant_get_or_404(Branch, branch_id)
    form = BranchForm()
    if form.validate_on_submit():
        try:
            merchants.update_branch(db.session, current_actor(), branch, form.data)
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
        else:
            db.session.commit()
            flash("Branch saved.", "success")
            return _branch_page(branch, form=form, fragment="settings/_branch_form.html")
    return _branch_page(branch, 422, form=form, fragment="settings/_branch_form.html")


@bp.post("/branches/<int:branch_id>/counters")
@permission_required(Permission.PAGE_SETTINGS)
@permission_required(Permission.EDIT_SETTINGS)
def create_counter(branch_id: int) -> object:
    branch = tenant_get_or_404(Branch, branch_id)
    form = CounterForm()
    if form.validate_on_submit():
        try:
            merchants.create_counter(db.session, current_actor(), branch, form.data)
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
        else:
            db.session.commit()
            return _branch_page(branch, fragment="settings/_counters.html")
    return _branch_page(branch, 422, counter_form=form, fragment="settings/_counters.html")


@bp.post("/counters/<int:counter_id>")
@permission_required(Permission.PAGE_SETTINGS)
@permission_required(Permission.EDIT_SETTINGS)
def update_counter(counter_id: int) -> object:
    counter = tenant_get_or_404(Counter, counter_id)
    form = CounterForm()
    if form.validate_on_submit():
        try:
            merchants.update_counter(db.session, current_actor(), counter, form.data)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            db.session.commit()
    else:
        flash(" ".join(e for errors in form.errors.values() for e in errors), "error")
        db.session.rollback()
        return _branch_page(counter.branch, 422, fragment="settings/_counters.html")
    return _branch_page(counter.branch, fragment="settings/_counters.html")
