"""Tenant isolation: another merchant's ids, in a URL or in a form field, are a 404 and change nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select

from ismartsync.extensions import db
from ismartsync.models import (
    Counter,
    Customer,
    DayClose,
    Device,
    DriftStatus,
    FiscalDocument,
    ImportRun,
    OnlineInvoice,
    OnlineReportingCounter,
    OrderCancellation,
    OutgoingEmail,
    QuickKey,
    Register,
    ReturnReason,
    Role,
    RosterAssignment,
    RosterSlot,
    Sale,
    SaleLine,
    SaleReturn,
    SaleStatus,
    Shift,
    ShopifyLocation,
    StockDrift,
    User,
)
from ismartsync.models.base import utcnow
from ismartsync.permissions import Effect, Permission
from ismartsync.services import roster_slots, rosters
from ismartsync.services.audit import Actor
from ismartsync.services.online_orders.invoicing import open_online_invoice
from tests import factories
from tests.online_invoicing import make_order, report_online_orders

World = SimpleNamespace


@pytest.fixture
def theirs(other_merchant: Any, outsider: User) -> World:
    """Rows of another merchant, each one a target a curious owner might put in a URL."""
    roles = factories.roles_of(other_merchant)
    branch = factories.BranchFactory(merchant=other_merchant, name="Their branch", code="THR")
    counter = factories.CounterFactory(branch=branch, name="Their counter")
    member = factories.UserFactory(
        merchant=other_merchant, role=roles["Cashier"], branches=[branch], full_name="Their Cashier", password_hash=None
    )
    former = factories.UserFactory(
        merchant=other_merchant, role=roles["Cashier"], full_name="Their Former", active=False
    )
    custom_role = Role(merchant=other_merchant, name="Their custom role")
    db.session.add(custom_role)
    device = factories.DeviceFactory(counter=counter, paired_by_id=outsider.id)
    variant = factories.VariantFactory(product__merchant=other_merchant, product__title="Their lawn suit")
    location = ShopifyLocation(merchant=other_merchant, shopify_id="gid://shopify/Location/990", name="Their store")
    run = ImportRun(merchant=other_merchant, kind="full", step="Their import step")
    db.session.add_all([location, run])
    db.session.flush()
    drift = StockDrift(
        merchant=other_merchant, variant=variant, branch=branch, local_quantity=5, unsent=0, shopify_on_hand=2
    )
    db.session.add(drift)
    db.session.flush()
    payment_method = factories.PaymentMethodFactory(merchant=other_merchant, name="Their bank")
    sale = Sale(
        merchant=other_merchant,
        uuid="their-cart",
        branch=branch,
        counter=counter,
        cashier=member,
        label="Their parked cart",
        parked_at=utcnow(),
    )
    sale.lines.append(
        SaleLine(
            merchant=other_merchant, variant=variant, name="Their lawn suit", list_price_minor=1, unit_price_minor=1
        )
    )
    db.session.add(sale)
    db.session.flush()
    placed = Sale(
        merchant=other_merchant,
        uuid="their-placed-sale",
        branch=branch,
        counter=counter,
        cashier=member,
        status=SaleStatus.PLACED,
        number=1,
        usin="THR-C0-000001",
        placed_at=utcnow(),
    )
    customer = Customer(merchant=other_merchant, first_name="Their customer", phone="03331234567")
    db.session.add_all([placed, customer])
    db.session.flush()
    placed.customer_id = customer.id
    fiscal = FiscalDocument(
        merchant=other_merchant, sale=placed, counter=counter, usin=placed.usin, status="unknown", attempts=1
    )
    db.session.add(fiscal)
    register = Register(merchant=other_merchant, counter=counter, branch_id=branch.id, opened_by_id=outsider.id)
    db.session.add(register)
    db.session.flush()
    shift = Shift(merchant=other_merchant, register=register, user=member, opening_float_minor=100_000)
    db.session.add(shift)
    db.session.flush()
    sale_return = SaleReturn(
        merchant_id=other_merchant.id,
        uuid="their-return",
        branch_id=branch.id,
        counter_id=counter.id,
        sale=placed,
        cashier_id=member.id,
        number=2,
        usin="THR-C0-000002",
        ref_usin=placed.usin,
    )
    db.session.add(sale_return)
    db.session.flush()
    return World(
        sale_return=sale_return,
        register=register,
        shift=shift,
        fiscal=fiscal,
        owner=outsider,
        branch=branch,
        counter=counter,
        member=member,
        former=former,
        roles=roles,
        custom_role=custom_role,
        device=device,
        variant=variant,
        location=location,
        run=run,
        drift=drift,
        placed=placed,
        customer=customer,
        payment_method=payment_method,
        sale=sale,
        line=sale.lines[0],
    )


def _reloaded(row: Any) -> Any:
    db.session.expire_all()
    return db.session.get(type(row), row.id)


@dataclass
class Case:
    path: Callable[[World], str]
    data: Callable[[World], dict[str, Any]] = lambda t: {}
    # True when the other merchant's row is exactly as before.
    unchanged: Callable[[World, str], bool] = lambda t, body: True
    on_paired_device: bool = False
    shows: list[str] = field(default_factory=list)


def _their_online_invoice(t: World) -> OnlineInvoice:
    """An online order of theirs dispatched from their branch, with its invoice (made once, when a case asks)."""
    if not hasattr(t, "online_invoice"):
        merchant = t.counter.merchant
        factories.enable_fbr(merchant, t.counter, token="their-fbr-token-01")
        report_online_orders(t.counter.branch, t.counter)
        order = make_order(merchant, (None, 1, 99000), name="#9001", branch=t.counter.branch)
        document = open_online_invoice(db.session, merchant, order, t.counter.branch, [(order.lines[0], 1)], "their-1")
        t.online_invoice = document.online_invoice
    return t.online_invoice


def _their_reason(t: World) -> ReturnReason:
    """A return reason of theirs (made once, when a case asks)."""
    if not hasattr(t, "reason"):
        t.reason = ReturnReason(merchant_id=t.owner.merchant_id, code="their_reason", label="Their reason")
        db.session.add(t.reason)
        db.session.flush()
    return t.reason


def _our_sale_key(t: World) -> str:
    """The receipt key of a placed sale of ours: a real link, but not to their return."""
    merchant = t.our_roles["Owner"].merchant
    branch = factories.BranchFactory(merchant=merchant, name="Our branch", code="OUR")
    counter = factories.CounterFactory(branch=branch, name="Our counter")
    cashier = factories.UserFactory(merchant=merchant, role=t.our_roles["Cashier"], branches=[branch])
    sale = Sale(
        merchant=merchant,
        uuid="our-placed-sale",
        branch=branch,
        counter=counter,
        cashier=cashier,
        status=SaleStatus.PLACED,
        number=1,
        usin="OUR-C0-000001",
        placed_at=utcnow(),
    )
    db.session.add(sale)
    db.session.flush()
    return sale.receipt_key


def _no_counter_named(name: str) -> bool:
    return db.session.scalar(select(func.count()).select_from(Counter).where(Counter.name == name)) == 0


def _their_roster(t: World) -> World:
    """Their branch's Morning shift with their cashier on it next Tuesday (made once, when a roster case asks)."""
    if not hasattr(t, "roster_slot"):
        tuesday = rosters.week_start(date.today()) + timedelta(weeks=1, days=1)
        values = roster_slots.SlotValues("Their morning", time(10), time(16))
        t.roster_slot = roster_slots.create_slot(db.session, Actor(t.owner), t.branch, values)
        t.assignment = rosters.assign_member(db.session, Actor(t.owner), t.roster_slot, tuesday, t.member)
        t.week = f"{tuesday - timedelta(days=1):%Y-%m-%d}"
    return t


def _their_roster_unchanged(t: World) -> bool:
    db.session.expire_all()
    slot = db.session.get(RosterSlot, t.roster_slot.id)
    return (
        slot is not None
        and slot.name == "Their morning"
        and db.session.scalar(select(func.count()).select_from(RosterAssignment)) == 1
        and db.session.scalar(select(func.count()).select_from(RosterSlot)) == 1
        and _reloaded(t.assignment).week.published_at is None
        and db.session.scalar(select(func.count()).select_from(OutgoingEmail)) == 0
    )


def _their_order(t: World) -> World:
    """Their online order with a fulfilment order at their branch (made on first use)."""
    if not hasattr(t, "online_order"):
        from ismartsync.models import FulfilmentOrder, OnlineOrder

        order = OnlineOrder(
            merchant_id=t.branch.merchant_id,
            shopify_id="gid://shopify/Order/990",
            name="#9901",
            customer_name="Their buyer",
            phone="+923001234567",
            shopify_created_at=utcnow(),
            shopify_updated_at=utcnow(),
        )
        db.session.add(order)
        db.session.flush()
        fo = FulfilmentOrder(
            merchant_id=order.merchant_id,
            order_id=order.id,
            shopify_id="gid://shopify/FulfillmentOrder/990",
            branch_id=t.branch.id,
            status="OPEN",
            supported_actions=["MOVE"],
            order_created_at=order.shopify_created_at,
        )
        db.session.add(fo)
        db.session.flush()
        t.online_order, t.fulfilment_order = order, fo
    return t


def _their_order_untouched(t: World) -> bool:
    from ismartsync.models import FulfilmentOrderMove, OrderConfirmation

    return (
        db.session.scalar(select(func.count()).select_from(OrderConfirmation)) == 0
        and db.session.scalar(select(func.count()).select_from(FulfilmentOrderMove)) == 0
    )


CASES: dict[tuple[str, str], Case] = {
    ("locations.map_location", "POST"): Case(
        lambda t: f"/settings/locations/{t.branch.id}",
        lambda t: {"location_id": str(t.location.id)},
        lambda t, body: _reloaded(t.location).branch_id is None,
    ),
    ("locations.import_progress", "GET"): Case(
        lambda t: f"/settings/imports/{t.run.id}", unchanged=lambda t, body: "Their import step" not in body
    ),
    ("drift.accept_shopify", "POST"): Case(
        lambda t: f"/inventory/drift/{t.drift.id}/accept",
        unchanged=lambda t, body: _reloaded(t.drift).status == DriftStatus.OPEN,
    ),
    ("drift.push_ours", "POST"): Case(
        lambda t: f"/inventory/drift/{t.drift.id}/push",
        unchanged=lambda t, body: _reloaded(t.drift).status == DriftStatus.OPEN,
    ),
    ("catalog.variant", "GET"): Case(
        lambda t: f"/products/variants/{t.variant.id}", unchanged=lambda t, body: "Their lawn suit" not in body
    ),
    ("catalog.set_variant_tax", "POST"): Case(
        lambda t: f"/products/variants/{t.variant.id}/tax",
        lambda t: {"tax_rate": "5", "pct_code": "12345678"},
        lambda t, body: _reloaded(t.variant).pct_code == "",
    ),
    ("catalog.set_quick_key", "POST"): Case(
        lambda t: f"/products/variants/{t.variant.id}/quick-key",
        lambda t: {"on": "1"},
        lambda t, body: db.session.scalar(select(func.count()).select_from(QuickKey)) == 0,
    ),
    ("settings.branch", "GET"): Case(
        lambda t: f"/settings/branches/{t.branch.id}", unchanged=lambda t, body: "Their branch" not in body
    ),
    ("settings.update_branch", "POST"): Case(
        lambda t: f"/settings/branches/{t.branch.id}",
        lambda t: {"name": "Hijacked", "code": "HJK", "active": "y"},
        lambda t, body: _reloaded(t.branch).name == "Their branch",
    ),
    ("settings.create_counter", "POST"): Case(
        lambda t: f"/settings/branches/{t.branch.id}/counters",
        lambda t: {"name": "Hijacked", "active": "y"},
        lambda t, body: _no_counter_named("Hijacked"),
    ),
    ("settings.update_counter", "POST"): Case(
        lambda t: f"/settings/counters/{t.counter.id}",
        lambda t: {"name": "Hijacked"},
        lambda t, body: _reloaded(t.counter).name == "Their counter" and _reloaded(t.counter).active,
    ),
    ("fbr_settings.update_online_counter", "POST"): Case(
        lambda t: f"/settings/fbr/branches/{_their_online_invoice(t).branch_id}/online-counter",
        lambda t: {"counter_id": ""},
        lambda t, body: db.session.query(OnlineReportingCounter).count() == 1,  # theirs, still chosen
    ),
    ("online_invoices.invoices", "GET"): Case(
        lambda t: f"/online-orders/{_their_online_invoice(t).order_id}/invoices",
        unchanged=lambda t, body: "#9001" not in body,
    ),
    ("online_invoices.invoice_pdf", "GET"): Case(
        lambda t: f"/online-orders/{_their_online_invoice(t).order_id}/invoices/{t.online_invoice.id}.pdf",
        unchanged=lambda t, body: "%PDF" not in body,
    ),
    ("online_invoices.receipt", "GET"): Case(
        lambda t: f"/online-orders/{_their_online_invoice(t).order_id}/invoices/{t.online_invoice.id}/receipt",
        unchanged=lambda t, body: t.online_invoice.usin not in body,
    ),
    ("fbr_settings.update_counter", "POST"): Case(
        lambda t: f"/settings/fbr/counters/{t.counter.id}",
        lambda t: {"fbr_enabled": "y", "fbr_pos_id": "990001", "fbr_token": "hijacked-token"},
        lambda t, body: _reloaded(t.counter).fbr_pos_id is None and _reloaded(t.counter).fbr_token is None,
    ),
    ("settings.payment_method", "GET"): Case(
        lambda t: f"/settings/payment-types/{t.payment_method.id}", unchanged=lambda t, body: "Their bank" not in body
    ),
    ("settings.update_payment_method", "POST"): Case(
        lambda t: f"/settings/payment-types/{t.payment_method.id}",
        lambda t: {"kind": "bank", "name": "Hijacked", "account_number": "0101 0104567890"},
        lambda t, body: _reloaded(t.payment_method).name == "Their bank",
    ),
    ("settings.set_payment_method_active", "POST"): Case(
        lambda t: f"/settings/payment-types/{t.payment_method.id}/active",
        lambda t: {"active": "0"},
        lambda t, body: _reloaded(t.payment_method).active,
    ),
    ("counter.edit_line", "GET"): Case(
        lambda t: f"/counter/cart/lines/{t.line.id}", unchanged=lambda t, body: "Their lawn suit" not in body
    ),
    ("counter.update_line", "POST"): Case(
        lambda t: f"/counter/cart/lines/{t.line.id}",
        lambda t: {"quantity": "7"},
        lambda t, body: _reloaded(t.line).quantity == 1,
    ),
    ("counter.remove_line", "POST"): Case(
        lambda t: f"/counter/cart/lines/{t.line.id}/remove", unchanged=lambda t, body: _reloaded(t.line) is not None
    ),
    ("counter.discount_line", "POST"): Case(
        lambda t: f"/counter/cart/lines/{t.line.id}/discount",
        lambda t: {"kind": "percent", "value": "50"},
        lambda t, body: _reloaded(t.line).discount_kind is None,
    ),
    ("counter.price_line", "POST"): Case(
        lambda t: f"/counter/cart/lines/{t.line.id}/price",
        lambda t: {"price": "5"},
        lambda t, body: _reloaded(t.line).unit_price_minor == 1,
    ),
    ("counter.recall_cart", "POST"): Case(
        lambda t: f"/counter/cart/parked/{t.sale.id}/recall",
        unchanged=lambda t, body: _reloaded(t.sale).parked_at is not None,
        on_paired_device=True,
    ),
    ("counter.sale_done", "GET"): Case(
        lambda t: f"/counter/sales/{t.sale.id}", unchanged=lambda t, body: "Their lawn suit" not in body
    ),
    ("counter.return_sale", "GET"): Case(
        lambda t: f"/counter/returns/{t.placed.id}", unchanged=lambda t, body: "THR-C0-000001" not in body
    ),
    ("counter.customer_purchases", "GET"): Case(
        lambda t: f"/counter/returns/customers/{t.customer.id}",
        unchanged=lambda t, body: "THR-C0-000001" not in body and "Their customer" not in body,
    ),
    ("counter.return_done", "GET"): Case(
        lambda t: f"/counter/refunds/{t.sale_return.id}", unchanged=lambda t, body: "THR-C0-000002" not in body
    ),
    ("counter.return_receipt", "GET"): Case(
        lambda t: f"/counter/refunds/{t.sale_return.id}/receipt", unchanged=lambda t, body: "THR-C0-000002" not in body
    ),
    ("sales.sale", "GET"): Case(
        lambda t: f"/sales/{t.placed.id}", unchanged=lambda t, body: "THR-C0-000001" not in body
    ),
    ("sales.receipt", "GET"): Case(
        lambda t: f"/sales/{t.placed.id}/receipt", unchanged=lambda t, body: "THR-C0-000001" not in body
    ),
    ("sales.invoice_pdf", "GET"): Case(
        lambda t: f"/sales/{t.placed.id}/invoice.pdf", unchanged=lambda t, body: "%PDF" not in body
    ),
    ("receipts.email_receipt", "POST"): Case(
        lambda t: f"/sales/{t.placed.id}/receipt-email",
        lambda t: {"email": "curious@example.pk"},
        lambda t, body: (
            db.session.scalar(
                select(func.count()).select_from(OutgoingEmail).where(OutgoingEmail.to_address == "curious@example.pk")
            )
            == 0
        ),
    ),
    ("fiscal.document", "GET"): Case(
        lambda t: f"/fiscal/{t.fiscal.id}", unchanged=lambda t, body: "THR-C0-000001" not in body
    ),
    ("fiscal.send_again", "POST"): Case(
        lambda t: f"/fiscal/{t.fiscal.id}/send", unchanged=lambda t, body: _reloaded(t.fiscal).status == "unknown"
    ),
    ("fiscal.settle", "POST"): Case(
        lambda t: f"/fiscal/{t.fiscal.id}/settle",
        lambda t: {"fbr_number": "11001403122614050001"},
        lambda t, body: _reloaded(t.fiscal).fbr_number is None,
    ),
    ("sale_returns.sale_return", "GET"): Case(
        lambda t: f"/sales/returns/{t.sale_return.id}", unchanged=lambda t, body: "THR-C0-000002" not in body
    ),
    ("sale_returns.credit_note", "GET"): Case(
        lambda t: f"/sales/returns/{t.sale_return.id}/credit-note.pdf", unchanged=lambda t, body: "%PDF" not in body
    ),
    ("receipts.return_receipt", "GET"): Case(
        lambda t: f"/r/{_our_sale_key(t)}/returns/{t.sale_return.id}",
        unchanged=lambda t, body: "THR-C0-000002" not in body,
    ),
    ("receipts.credit_note_pdf", "GET"): Case(
        lambda t: f"/r/{_our_sale_key(t)}/returns/{t.sale_return.id}/credit-note.pdf",
        unchanged=lambda t, body: "%PDF" not in body,
    ),
    ("receipts.email_return_receipt", "POST"): Case(
        lambda t: f"/sales/returns/{t.sale_return.id}/receipt-email",
        lambda t: {"email": "curious@example.pk"},
        lambda t, body: (
            db.session.scalar(
                select(func.count()).select_from(OutgoingEmail).where(OutgoingEmail.to_address == "curious@example.pk")
            )
            == 0
        ),
    ),
    ("return_settings.update_reason", "POST"): Case(
        lambda t: f"/settings/returns/reasons/{_their_reason(t).id}",
        lambda t: {f"r{_their_reason(t).id}-label": "Ours now", f"r{_their_reason(t).id}-active": ""},
        lambda t, body: _reloaded(_their_reason(t)).label == "Their reason" and t.reason.active,
    ),
    ("shifts.close_form", "GET"): Case(lambda t: f"/shifts/{t.shift.id}/close", unchanged=lambda t, body: True),
    ("shifts.count_total", "POST"): Case(
        lambda t: f"/shifts/{t.shift.id}/close/total",
        lambda t: {"method": "total", "total": "1000"},
        lambda t, body: "Expected" not in body,
    ),
    ("shifts.close_shift", "POST"): Case(
        lambda t: f"/shifts/{t.shift.id}/close",
        lambda t: {"method": "total", "total": "1000"},
        lambda t, body: _reloaded(t.shift).is_open,
    ),
    ("shifts.extend_shift", "POST"): Case(
        lambda t: f"/shifts/{t.shift.id}/extend",
        lambda t: {"minutes": "60"},
        lambda t, body: _reloaded(t.shift).limit_at is None,
    ),
    ("shifts.shift_report", "GET"): Case(
        lambda t: f"/shifts/{t.shift.id}", unchanged=lambda t, body: "Their Cashier" not in body
    ),
    ("shifts.shift_pdf", "GET"): Case(
        lambda t: f"/shifts/{t.shift.id}/report.pdf", unchanged=lambda t, body: "%PDF" not in body
    ),
    ("registers.register_report", "GET"): Case(
        lambda t: f"/registers/{t.register.id}", unchanged=lambda t, body: "Their counter" not in body
    ),
    ("registers.register_pdf", "GET"): Case(
        lambda t: f"/registers/{t.register.id}/report.pdf", unchanged=lambda t, body: "%PDF" not in body
    ),
    ("registers.close_register", "POST"): Case(
        lambda t: f"/registers/{t.register.id}/close",
        lambda t: {"confirm": "yes"},
        lambda t, body: _reloaded(t.register).is_open,
    ),
    ("registers.close_register_form", "GET"): Case(
        lambda t: f"/registers/{t.register.id}/close", unchanged=lambda t, body: "Their counter" not in body
    ),
    ("registers.close_day_form", "GET"): Case(
        lambda t: f"/registers/days/{t.branch.id}/{utcnow():%Y-%m-%d}/close",
        unchanged=lambda t, body: "Their branch" not in body,
    ),
    ("registers.reopen_day_form", "GET"): Case(
        lambda t: f"/registers/days/{t.branch.id}/{utcnow():%Y-%m-%d}/reopen",
        unchanged=lambda t, body: "Their branch" not in body,
    ),
    ("registers.reopen_day", "POST"): Case(
        lambda t: f"/registers/days/{t.branch.id}/{utcnow():%Y-%m-%d}/reopen",
        lambda t: {"reason": "Not ours to reopen"},
        lambda t, body: db.session.scalar(select(func.count()).select_from(DayClose)) == 0,
    ),
    ("registers.day_report", "GET"): Case(
        lambda t: f"/registers/days/{t.branch.id}/{utcnow():%Y-%m-%d}",
        unchanged=lambda t, body: "Their branch" not in body,
    ),
    ("registers.day_pdf", "GET"): Case(
        lambda t: f"/registers/days/{t.branch.id}/{utcnow():%Y-%m-%d}/report.pdf",
        unchanged=lambda t, body: "%PDF" not in body,
    ),
    ("registers.close_day", "POST"): Case(
        lambda t: f"/registers/days/{t.branch.id}/{utcnow():%Y-%m-%d}/close",
        lambda t: {"confirm": "yes"},
        unchanged=lambda t, body: db.session.scalar(select(func.count()).select_from(DayClose)) == 0,
    ),
    ("device.pin_entry", "GET"): Case(
        lambda t: f"/device/pin/{t.owner.id}",
        unchanged=lambda t, body: "Other Owner" not in body,
        on_paired_device=True,
    ),
    ("device.pin_entry", "POST"): Case(
        lambda t: f"/device/pin/{t.owner.id}",
        lambda t: {"pin": factories.PIN},
        lambda t, body: _reloaded(t.owner).last_sign_in_at is None,
        on_paired_device=True,
    ),
    ("device.pair", "POST"): Case(
        lambda t: f"/device/pair/{t.counter.id}",
        lambda t: {"label": "Hijacked"},
        lambda t, body: (
            db.session.scalar(select(func.count()).select_from(Device).where(Device.label == "Hijacked")) == 0
        ),
    ),
    ("device.revoke", "POST"): Case(
        lambda t: f"/device/{t.device.id}/revoke", unchanged=lambda t, body: _reloaded(t.device).is_active
    ),
    ("staff.member", "GET"): Case(
        lambda t: f"/staff/{t.member.id}", unchanged=lambda t, body: "Their Cashier" not in body
    ),
    ("staff.update_member", "POST"): Case(
        lambda t: f"/staff/{t.member.id}",
        lambda t: {"full_name": "Hijacked", "role_id": str(t.our_roles["Cashier"].id), "all_branches": "y"},
        lambda t, body: _reloaded(t.member).full_name == "Their Cashier",
    ),
    ("staff.deactivate", "POST"): Case(
        lambda t: f"/staff/{t.member.id}/deactivate", unchanged=lambda t, body: _reloaded(t.member).active
    ),
    ("staff.reactivate", "POST"): Case(
        lambda t: f"/staff/{t.former.id}/reactivate", unchanged=lambda t, body: not _reloaded(t.former).active
    ),
    ("staff.resend_invite", "POST"): Case(
        lambda t: f"/staff/{t.member.id}/resend-invite",
        unchanged=lambda t, body: (
            db.session.scalar(
                select(func.count()).select_from(OutgoingEmail).where(OutgoingEmail.to_address == t.member.email)
            )
            == 0
        ),
    ),
    ("staff.set_grant", "POST"): Case(
        lambda t: f"/roles/{t.roles['Cashier'].id}/grants",
        lambda t: {"permission": Permission.PAGE_AUDIT.value, "effect": Effect.ALLOWED.value},
        lambda t, body: _reloaded(t.roles["Cashier"]).effect(Permission.PAGE_AUDIT) is Effect.BLOCKED,
    ),
    ("staff.delete_role", "POST"): Case(
        lambda t: f"/roles/{t.custom_role.id}/delete", unchanged=lambda t, body: _reloaded(t.custom_role) is not None
    ),
    ("rosters.week", "GET"): Case(
        lambda t: f"/rosters/{_their_roster(t).branch.id}/{t.week}", unchanged=lambda t, body: "Their" not in body
    ),
    ("rosters.print_week", "GET"): Case(
        lambda t: f"/rosters/{_their_roster(t).branch.id}/{t.week}/print", unchanged=lambda t, body: "Their" not in body
    ),
    ("rosters.week_calendar", "GET"): Case(
        lambda t: f"/rosters/{_their_roster(t).branch.id}/{t.week}.ics", unchanged=lambda t, body: "Their" not in body
    ),
    ("rosters.slots", "GET"): Case(
        lambda t: f"/rosters/{_their_roster(t).branch.id}/slots", unchanged=lambda t, body: "Their" not in body
    ),
    ("rosters.slot", "GET"): Case(
        lambda t: f"/rosters/slots/{_their_roster(t).roster_slot.id}", unchanged=lambda t, body: "Their" not in body
    ),
    ("rosters.assign", "POST"): Case(
        lambda t: f"/rosters/{_their_roster(t).branch.id}/assignments",
        lambda t: {"slot_id": str(t.roster_slot.id), "work_date": t.week, "user_id": str(t.member.id)},
        lambda t, body: _their_roster_unchanged(t),
    ),
    ("rosters.unassign", "POST"): Case(
        lambda t: f"/rosters/assignments/{_their_roster(t).assignment.id}/remove",
        unchanged=lambda t, body: _their_roster_unchanged(t),
    ),
    ("rosters.copy_week", "POST"): Case(
        lambda t: f"/rosters/{_their_roster(t).branch.id}/{t.week}/copy",
        unchanged=lambda t, body: _their_roster_unchanged(t),
    ),
    ("rosters.publish", "POST"): Case(
        lambda t: f"/rosters/{_their_roster(t).branch.id}/{t.week}/publish",
        unchanged=lambda t, body: _their_roster_unchanged(t),
    ),
    ("rosters.create_slot", "POST"): Case(
        lambda t: f"/rosters/{_their_roster(t).branch.id}/slots",
        lambda t: {"name": "Hijacked", "start_time": "10:00", "end_time": "11:00", "days": ["0"]},
        lambda t, body: _their_roster_unchanged(t),
    ),
    ("rosters.add_usual", "POST"): Case(
        lambda t: f"/rosters/{_their_roster(t).branch.id}/slots/usual",
        unchanged=lambda t, body: _their_roster_unchanged(t),
    ),
    ("rosters.update_slot", "POST"): Case(
        lambda t: f"/rosters/slots/{_their_roster(t).roster_slot.id}",
        lambda t: {"name": "Hijacked", "start_time": "10:00", "end_time": "11:00", "days": ["0"]},
        lambda t, body: _their_roster_unchanged(t),
    ),
    ("rosters.delete_slot", "POST"): Case(
        lambda t: f"/rosters/slots/{_their_roster(t).roster_slot.id}/delete",
        unchanged=lambda t, body: _their_roster_unchanged(t),
    ),
    ("online_orders.order", "GET"): Case(
        lambda t: f"/online-orders/{_their_order(t).online_order.id}",
        unchanged=lambda t, body: "Their buyer" not in body,
    ),
    ("online_orders.fulfilment", "GET"): Case(
        lambda t: f"/online-orders/{_their_order(t).online_order.id}/fulfilment",
        unchanged=lambda t, body: "Their branch" not in body,
    ),
    ("online_orders.record_confirmation", "POST"): Case(
        lambda t: f"/online-orders/{_their_order(t).online_order.id}/confirmations",
        lambda t: {"outcome": "confirmed", "request_key": "hijack"},
        lambda t, body: _their_order_untouched(t),
    ),
    ("online_orders.move", "POST"): Case(
        lambda t: f"/online-orders/fulfilment-orders/{_their_order(t).fulfilment_order.id}/moves",
        lambda t: {"branch_id": str(t.branch.id), "request_key": "hijack"},
        lambda t, body: _their_order_untouched(t),
    ),
    ("order_cancel.cancel_form", "GET"): Case(
        lambda t: f"/online-orders/{_their_order(t).online_order.id}/cancel",
        unchanged=lambda t, body: "#9901" not in body,
    ),
    ("order_cancel.cancel_order", "POST"): Case(
        lambda t: f"/online-orders/{_their_order(t).online_order.id}/cancel",
        lambda t: {"reason": "CUSTOMER"},
        lambda t, body: _no_cancellation_of(t),
    ),
}


def _no_cancellation_of(t: World) -> bool:
    return db.session.scalar(select(func.count()).select_from(OrderCancellation)) == 0


def _their_fulfilment(t: World) -> World:
    """Their web order picked at their branch, and a dispatch of it Shopify refused (made once, when a case asks)."""
    if not hasattr(t, "fulfilment_order"):
        from tests.fulfilment_fixtures import make_dispatch, make_fulfilment_order

        t.fulfilment_order = make_fulfilment_order(t.branch, t.variant, customer_name="Their customer")
        t.dispatch = make_dispatch(t.fulfilment_order)
    return t


def _their_fulfilment_unchanged(t: World, body: str) -> bool:
    from ismartsync.models import Dispatch, DispatchStatus

    return (
        "Their customer" not in body
        and db.session.scalar(select(func.count()).select_from(Dispatch)) == 1
        and _reloaded(t.dispatch).status == DispatchStatus.FAILED
    )


CASES |= {
    ("fulfilment.pick", "GET"): Case(
        lambda t: f"/fulfilment/orders/{_their_fulfilment(t).fulfilment_order.id}",
        unchanged=_their_fulfilment_unchanged,
    ),
    ("fulfilment.scan_item", "POST"): Case(
        lambda t: f"/fulfilment/orders/{_their_fulfilment(t).fulfilment_order.id}/scan",
        lambda t: {"code": t.variant.barcode or "x"},
        _their_fulfilment_unchanged,
    ),
    ("fulfilment.dispatch", "POST"): Case(
        lambda t: f"/fulfilment/orders/{_their_fulfilment(t).fulfilment_order.id}/dispatch",
        lambda t: {
            "key": "k1",
            "courier": "TCS",
            "tracking_number": "TCS9",
            **{f"picked-{line.id}": "2" for line in t.fulfilment_order.lines},
        },
        _their_fulfilment_unchanged,
    ),
    ("fulfilment.retry_dispatch", "POST"): Case(
        lambda t: f"/fulfilment/dispatches/{_their_fulfilment(t).dispatch.id}/retry",
        unchanged=_their_fulfilment_unchanged,
    ),
}


def _routes_with_ids(app: Any) -> set[tuple[str, str]]:
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if "<int:" in rule.rule
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_every_route_taking_an_id_has_a_tenant_isolation_case(app):
    missing = _routes_with_ids(app) - set(CASES)
    assert not missing, f"add a tenant isolation case for {sorted(missing)}"
    assert set(CASES) <= _routes_with_ids(app), "a case names a route that no longer exists"


@pytest.mark.parametrize("route", sorted(CASES), ids=lambda r: f"{r[0]}-{r[1]}")
def test_another_merchants_id_in_the_url_is_not_found(route, browser, owner, roles, counter, theirs):
    case = CASES[route]
    theirs.our_roles = roles
    browser.sign_in(owner)
    if case.on_paired_device:
        assert browser.post(f"/device/pair/{counter.id}", {"label": "Front"}).status_code == 303
    method = route[1]
    path = case.path(theirs)
    response = browser.get(path) if method == "GET" else browser.post(path, case.data(theirs))
    body = response.get_data(as_text=True)
    assert response.status_code == 404, body
    assert case.unchanged(theirs, body)


INVITE = {"full_name": "New Person", "email": "new.person@example.pk"}


FOREIGN_FIELDS: dict[str, Callable[[World], Any]] = {
    "role_id": lambda t: str(t.roles["Manager"].id),
    "branch_ids": lambda t: [str(t.branch.id)],
    "counter_ids": lambda t: [str(t.counter.id)],
}


def _our_access(roles: dict[str, Role], branch: Any) -> dict[str, Any]:
    return {"role_id": str(roles["Cashier"].id), "branch_ids": [str(branch.id)]}


@pytest.mark.parametrize("field_name", sorted(FOREIGN_FIELDS))
def test_invite_with_another_merchants_id_in_a_field_is_not_found(field_name, browser, owner, roles, branch, theirs):
    browser.sign_in(owner)
    data = {**INVITE, **_our_access(roles, branch), field_name: FOREIGN_FIELDS[field_name](theirs)}
    response = browser.post("/staff/invite", data)
    assert response.status_code == 404
    assert db.session.scalar(select(User).where(User.email == INVITE["email"])) is None


@pytest.mark.parametrize("field_name", sorted(FOREIGN_FIELDS))
def test_member_form_with_another_merchants_id_in_a_field_is_not_found(
    field_name, browser, owner, roles, branch, cashier, theirs
):
    browser.sign_in(owner)
    data = {"full_name": "Renamed", **_our_access(roles, branch), field_name: FOREIGN_FIELDS[field_name](theirs)}
    response = browser.post(f"/staff/{cashier.id}", data)
    assert response.status_code == 404
    assert _reloaded(cashier).full_name == "Sana Iqbal"


def test_new_role_copied_from_another_merchants_role_is_not_found(browser, owner, theirs):
    browser.sign_in(owner)
    response = browser.post("/roles", {"name": "Copycat", "copy_from": str(theirs.roles["Manager"].id)})
    assert response.status_code == 404
    assert db.session.scalar(select(Role).where(Role.name == "Copycat")) is None


@pytest.mark.parametrize("param", ["actor", "branch"])
def test_audit_filter_by_another_merchants_id_is_not_found(param, browser, owner, theirs):
    browser.sign_in(owner)
    target = theirs.owner.id if param == "actor" else theirs.branch.id
    assert browser.get(f"/audit?{param}={target}").status_code == 404
    assert browser.get(f"/audit/export.csv?{param}={target}").status_code == 404


@pytest.mark.parametrize("param", ["branch", "cashier"])
def test_sales_list_filtered_by_another_merchants_id_is_not_found(param, browser, owner, branch, theirs):
    browser.sign_in(owner)
    target = theirs.branch.id if param == "branch" else theirs.member.id
    response = browser.get(f"/sales?{param}={target}")
    assert response.status_code == 404
    assert "THR-C0-000001" not in response.get_data(as_text=True)


def test_a_session_never_uses_another_merchants_paired_device(make_browser, owner, outsider, counter):
    """A tablet paired by one merchant, then used to sign in to another merchant's account."""
    tablet = make_browser()
    tablet.sign_in(owner)
    tablet.post(f"/device/pair/{counter.id}", {"label": "Front"})
    tablet.post("/sign-out")
    tablet.sign_in(outsider)
    page = tablet.get("/").get_data(as_text=True)
    assert "Hello, Other" in page
    assert counter.name not in page  # no counter chip, no Lock or Switch user of the other merchant's tablet
    assert "/device/lock" not in page


def test_linking_our_branch_to_another_merchants_location_is_not_found(browser, owner, branch, theirs):
    browser.sign_in(owner)
    response = browser.post(f"/settings/locations/{branch.id}", {"location_id": str(theirs.location.id)})
    assert response.status_code == 404
    assert _reloaded(theirs.location).branch_id is None


# Return mode names items and customers in its form fields: another merchant's is a 404 there too.
NO_RECEIPT_FORMS: dict[str, Callable[[World], dict[str, Any]]] = {
    "an item tapped": lambda t: {"add_variant": str(t.variant.id)},
    "an item on the panel": lambda t: {"variant_id": str(t.variant.id), f"quantity-{t.variant.id}": "1"},
    "the customer": lambda t: {"customer_id": str(t.customer.id)},
}


NO_RECEIPT_PATHS = [
    "/counter/returns/no-receipt/preview",
    "/counter/returns/no-receipt",
    "/counter/returns/no-receipt/exchange",
]


@pytest.fixture
def our_tablet(make_browser: Any, manager: User, cashier: User, counter: Counter) -> Any:
    """Our paired tablet with Sana's shift open (as tests/selling.py's `tablet`): Return mode answers it."""
    from ismartsync.services.cash.registers import open_shift, start_register

    tablet = make_browser()
    tablet.sign_in(manager)
    assert tablet.post(f"/device/pair/{counter.id}", {"label": "Front tablet"}).status_code == 303
    tablet.post("/sign-out")
    start_register(db.session, Actor(manager), counter, 500_000)
    open_shift(db.session, Actor(cashier), counter)
    db.session.commit()
    assert tablet.post(f"/device/pin/{cashier.id}", {"pin": factories.PIN}).status_code == 303
    return tablet


@pytest.mark.parametrize("what", sorted(NO_RECEIPT_FORMS))
@pytest.mark.parametrize("path", NO_RECEIPT_PATHS)
def test_a_return_without_a_receipt_naming_another_merchants_row_is_not_found(path, what, our_tablet, theirs):
    data = {"return_uuid": "tenancy-return-0001", **NO_RECEIPT_FORMS[what](theirs)}
    assert our_tablet.post(path, data).status_code == 404
    assert db.session.scalar(select(func.count()).select_from(SaleReturn).where(SaleReturn.no_receipt)) == 0
