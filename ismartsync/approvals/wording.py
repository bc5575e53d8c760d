"""What an approval prompt says is being approved: the action in a supervisor's words, with its amount, reason or item.

Every action of the roles matrix can be set to "Needs approval", so every endpoint that checks one has an entry here
(a test holds the list to the app's endpoints). An entry reads what the member sent (the view's own form, the rows
its URL names, of the member's merchant only) and leaves out what it cannot read; an action that knows more than the
request shows (the discounts a change takes past the limit) says it itself, through `authorize(..., what=...)`.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from flask import g, request
from flask_login import current_user
from sqlalchemy import select

from ismartsync.extensions import db
from ismartsync.forms.cash import CashLogForm, ExtendShiftForm
from ismartsync.forms.counter import PriceForm, StartRegisterForm
from ismartsync.forms.fiscal import SettleForm
from ismartsync.forms.staff import GrantForm, InviteForm, RoleForm
from ismartsync.inputs import parse_day, parse_id
from ismartsync.models import (
    Branch,
    CashDirection,
    CashReason,
    Counter,
    Device,
    FiscalDocument,
    Merchant,
    PaymentMethod,
    Register,
    ReturnReason,
    Role,
    RosterAssignment,
    RosterSlot,
    SaleLine,
    Shift,
    StockDrift,
    User,
    Variant,
)
from ismartsync.models.fulfilment import Dispatch
from ismartsync.models.online_order import FulfilmentOrder, OnlineOrder
from ismartsync.models.order_work import ConfirmationOutcome
from ismartsync.money import format_money, to_minor
from ismartsync.permissions import Effect, Permission
from ismartsync.services.cart import active_cart
from ismartsync.templating import local_time

# The rows an action's URL names, by the name of its argument.
ROWS: dict[str, tuple[str, type]] = {
    "line_id": ("line", SaleLine),
    "counter_id": ("counter", Counter),
    "branch_id": ("branch", Branch),
    "register_id": ("register", Register),
    "shift_id": ("shift", Shift),
    "document_id": ("document", FiscalDocument),
    "drift_id": ("drift", StockDrift),
    "variant_id": ("variant", Variant),
    "user_id": ("member", User),
    "role_id": ("role", Role),
    "payment_method_id": ("method", PaymentMethod),
    "slot_id": ("slot", RosterSlot),
    "assignment_id": ("assignment", RosterAssignment),
    "device_id": ("device", Device),
    "reason_id": ("reason", ReturnReason),
    "order_id": ("order", OnlineOrder),
    "fulfilment_order_id": ("fulfilment_order", FulfilmentOrder),
    "dispatch_id": ("dispatch", Dispatch),
}

Rows = dict[str, Any]
Wording = Callable[[Permission, Rows], "str | None"]


def describe(permission: Permission) -> str:
    """The sentence the approval dialog shows for this request, or the permission's own description."""
    entry = WORDING.get(request.endpoint or "")
    rows = _rows()
    if entry is None or any(row is None for row in rows.values()):
        return permission.info.description
    what = entry.format(**rows) if isinstance(entry, str) else entry(permission, rows)
    return what or permission.info.description


def _rows() -> Rows:
    rows: Rows = {}
    for arg, value in (request.view_args or {}).items():
        if arg in ROWS:
            name, model = ROWS[arg]
            rows[name] = db.session.scalar(
                select(model).where(model.id == value, model.merchant_id == current_user.merchant_id)
            )
    return rows


def _form(form_class: type) -> Any:
    """The view's form over what was sent (not validated: a value that does not read is None)."""
    return form_class(meta={"csrf": False})


def _money(amount: Decimal | None) -> str | None:
    return format_money(to_minor(amount)) if amount is not None else None


def _quoted(note: str | None) -> str:
    return f" — “{note.strip()[:120]}”" if note and note.strip() else ""


def _items(count: int) -> str:
    return f"{count} item{'s' if count != 1 else ''}"


# At the counter


def _void_cart(permission: Permission, rows: Rows) -> str | None:
    cart = active_cart(db.session, g.device.counter) if g.get("device") else None
    if cart is None:
        return None
    return f"Void the whole cart: {_items(cart.quantity)}, {format_money(cart.payable_minor)}"


def _void_line(permission: Permission, rows: Rows) -> str:
    line = rows["line"]
    return f"Void line: {line.name} × {line.quantity} ({format_money(line.total_minor)})"


def _price(permission: Permission, rows: Rows) -> str:
    line, price = rows["line"], _money(_form(PriceForm).price.data)
    return f"Price of {line.name}: {format_money(line.unit_price_minor)} → {price or 'a new price'}"


def _cash_log(permission: Permission, rows: Rows) -> str | None:
    form = _form(CashLogForm)
    if form.direction.data not in set(CashDirection) or form.reason.data not in set(CashReason):
        return None
    amount = _money(form.amount.data) or "(no amount yet)"
    reason = CashReason(form.reason.data).label.lower()
    return f"{CashDirection(form.direction.data).label} {amount} — {reason}{_quoted(form.note.data)}"


def _start_register(permission: Permission, rows: Rows) -> str | None:
    if not g.get("device"):
        return None
    opening = _money(_form(StartRegisterForm).opening_float.data)
    return f"Start the register on {g.device.counter.label}" + (f" with {opening} in the drawer" if opening else "")


def _close_register_here(permission: Permission, rows: Rows) -> str | None:
    return f"Close the register on {g.device.counter.label}" if g.get("device") else None


def _shift(permission: Permission, rows: Rows) -> str:
    shift = rows["shift"]
    whose = "your" if shift.user_id == current_user.id else f"{shift.user.full_name}'s"
    since = local_time(shift.opened_at, "%H:%M", current_user.merchant.time_zone)
    return f"Close {whose} shift on {shift.register.counter.label} (open since {since})"


def count_off(merchant: Merchant, shift: Shift, counted_minor: int, note: str) -> str:
    """A close beyond the tolerance: by how much (unless the count is blind: the closer must not learn it here)."""
    closing = f"Close {shift.user.full_name}'s shift on {shift.register.counter.label}"
    tolerance = format_money(merchant.cash_tolerance_minor)
    if merchant.blind_close:
        return f"{closing}: the count is off by more than the {tolerance} tolerance{_quoted(note)}"
    off = counted_minor - shift.expected_cash_minor
    return (
        f"{closing}: {format_money(counted_minor)} counted, {format_money(abs(off))} {'over' if off > 0 else 'short'} "
        f"of the {format_money(shift.expected_cash_minor)} expected (tolerance {tolerance}){_quoted(note)}"
    )


def _extend(permission: Permission, rows: Rows) -> str:
    shift, form = rows["shift"], _form(ExtendShiftForm)
    by = next((c.label for c in form.minutes.choices if str(c.value) == str(form.minutes.data)), "more time")
    return f"Extend {shift.user.full_name}'s shift on {shift.register.counter.label} by {by}"


def _refund(permission: Permission, rows: Rows) -> None:
    """A return says what is approved itself: the view reads the return first and passes the sentence of
    `services.returns.policy.approval_wording` (amount, sale, items and reasons, why it is asked) to `authorize`."""
    return None


# Registers, FBR, stock


def _close_day(permission: Permission, rows: Rows) -> str:
    day = parse_day(str((request.view_args or {}).get("day", "")))
    when = f"{day:%d %b %Y}" if day else "the day"
    return f"Close {when} at {rows['branch'].name}: no register can start there until the next day" + _quoted(
        request.form.get("note")
    )


def _reopen_day(permission: Permission, rows: Rows) -> str:
    day = parse_day(str((request.view_args or {}).get("day", "")))
    when = f"{day:%d %b %Y}" if day else "the day"
    return f"Reopen {when} at {rows['branch'].name}: registers can start there again today" + _quoted(
        request.form.get("reason")
    )


def _settle(permission: Permission, rows: Rows) -> str:
    number = (_form(SettleForm).fbr_number.data or "").strip()
    return f"Record FBR number “{number[:64]}” for {rows['document'].usin} by hand" + _quoted(request.form.get("note"))


def _accept_shopify(permission: Permission, rows: Rows) -> str:
    drift = rows["drift"]
    return (
        f"{drift.variant.display_name} at {drift.branch.name}: set our stock from {drift.local_quantity} "
        f"to Shopify's {drift.shopify_on_hand}"
    )


def _push_ours(permission: Permission, rows: Rows) -> str:
    drift = rows["drift"]
    return (
        f"{drift.variant.display_name} at {drift.branch.name}: set Shopify's stock from {drift.shopify_on_hand} "
        f"to ours, {drift.local_quantity}"
    )


def _confirm_order(permission: Permission, rows: Rows) -> str:
    outcome = request.form.get("outcome", "")
    said = f"“{ConfirmationOutcome(outcome).label}”" if outcome in set(ConfirmationOutcome) else "the customer's answer"
    return f"Record {said} for order {rows['order'].name}" + _quoted(request.form.get("note"))


def _dispatch(permission: Permission, rows: Rows) -> str:
    fulfilment_order = rows["fulfilment_order"]
    courier = (request.form.get("courier") or "").strip()[:40]
    tracking = (request.form.get("tracking_number") or "").strip()[:60]
    by = f" by {courier}" + (f" ({tracking})" if tracking else "") if courier else ""
    where = fulfilment_order.branch.name if fulfilment_order.branch else "the branch"
    return f"Dispatch order {fulfilment_order.order.name} from {where}{by}: its items leave the branch's stock"


def _move_order(permission: Permission, rows: Rows) -> str:
    fulfilment_order = rows["fulfilment_order"]
    here = fulfilment_order.branch.name if fulfilment_order.branch else fulfilment_order.location_name
    to = db.session.scalar(
        select(Branch.name).where(
            Branch.id == (parse_id(request.form.get("branch_id")) or 0), Branch.merchant_id == current_user.merchant_id
        )
    )
    return (
        f"Move order {fulfilment_order.order.name} from {here or 'its location'} to {to or 'another branch'} in Shopify"
    )


def _export(report: str) -> Wording:
    def wording(permission: Permission, rows: Rows) -> str:
        kind = str((request.view_args or {}).get("fmt", "csv")).upper()
        return f"Download the {report} ({kind})"

    return wording


# Staff and roles


def _role_named(raw: object) -> Role | None:
    try:
        role_id = int(str(raw))
    except ValueError:
        return None
    return db.session.scalar(select(Role).where(Role.id == role_id, Role.merchant_id == current_user.merchant_id))


def _invite(permission: Permission, rows: Rows) -> str:
    form, role = _form(InviteForm), _role_named(request.form.get("role_id"))
    return f"Invite {form.email.data or 'a new member'}" + (f" as {role.name}" if role else "")


def _update_member(permission: Permission, rows: Rows) -> str:
    member, role = rows["member"], _role_named(request.form.get("role_id"))
    change = f": role {member.role.name} → {role.name}" if role and role.id != member.role_id else ""
    return f"Change {member.full_name}'s details{change}"


def _grant(permission: Permission, rows: Rows) -> str | None:
    form = _form(GrantForm)
    if form.permission.data not in set(Permission) or form.effect.data not in set(Effect):
        return None
    changed = Permission(form.permission.data).info.label
    return f"Role {rows['role'].name}: “{changed}” becomes {Effect(form.effect.data).label}"


WORDING: dict[str, str | Wording] = {
    # The counter
    "counter.clear_cart": _void_cart,
    "counter.remove_line": _void_line,
    "counter.price_line": _price,
    "counter.record_cash_log": _cash_log,
    "counter.start_register": _start_register,
    "counter.record_sale_return": _refund,
    "counter.close_register": _close_register_here,
    "shifts.close_form": _shift,
    "shifts.count_total": _shift,
    "shifts.close_shift": _shift,
    "shifts.extend_shift": _extend,
    "device.pair": "Pair this browser to {counter.label}",
    "device.revoke": "Unpair “{device.label}” from {device.counter.label}",
    # Registers, FBR, stock, exports
    "registers.close_register_form": "Close the register on {register.counter.label}",
    "registers.close_register": "Close the register on {register.counter.label}",
    "registers.close_day_form": _close_day,
    "registers.close_day": _close_day,
    "registers.reopen_day_form": _reopen_day,
    "registers.reopen_day": _reopen_day,
    "fiscal.send_again": "Send {document.usin} to FBR again",
    "fiscal.settle": _settle,
    "drift.accept_shopify": _accept_shopify,
    "drift.push_ours": _push_ours,
    "drift.start_reconciliation": "Compare our stock with Shopify's now",
    "online_orders.record_confirmation": _confirm_order,
    "online_orders.move": _move_order,
    "order_cancel.cancel_form": "Cancel order {order.name} in Shopify and release what it holds",
    "order_cancel.cancel_order": "Cancel order {order.name} in Shopify and release what it holds",
    "fulfilment.scan_item": "Pick order {fulfilment_order.order.name} at {fulfilment_order.branch.name}",
    "fulfilment.dispatch": _dispatch,
    "fulfilment.retry_dispatch": "Send the dispatch of order {dispatch.order.name} to Shopify again",
    "sync_health.start_reconciliation": "Compare our stock with Shopify's now",
    "audit.export": "Download the audit log (CSV)",
    "reports.cash_logs_export": _export("cash in / out report"),
    "reports.cashiers_export": _export("cashiers report"),
    "reports.over_short_export": _export("over / short report"),
    "reports.shifts_export": _export("shifts report"),
    # Staff, roles, rosters
    "staff.invite": _invite,
    "staff.update_member": _update_member,
    "staff.deactivate": "Deactivate {member.full_name}: they can no longer sign in",
    "staff.reactivate": "Let {member.full_name} sign in again",
    "staff.resend_invite": "Send {member.full_name} a new invitation",
    "staff.create_role": lambda p, rows: f"Create the role “{(_form(RoleForm).name.data or '').strip()[:60]}”",
    "staff.delete_role": "Delete the role {role.name}",
    "staff.set_grant": _grant,
    "rosters.create_slot": "Add a slot to the roster of {branch.name}",
    "rosters.update_slot": "Change the roster slot “{slot.name}”",
    "rosters.delete_slot": "Delete the roster slot “{slot.name}”",
    "rosters.add_usual": "Add the usual slots to the roster of {branch.name}",
    "rosters.assign": "Put a member on a slot in the roster of {branch.name}",
    "rosters.unassign": "Take {assignment.user.full_name} off a roster slot",
    "rosters.copy_week": "Copy last week's roster of {branch.name} into this week",
    "rosters.publish": "Publish the week's roster of {branch.name} to the staff",
    # Settings
    "settings.update_business": "Change the business profile",
    "fulfilment.update_settings": "Change how online orders are fulfilled (the business's workflow, or a branch's)",
    "fbr_settings.update_online_counter": "Choose the counter that reports {branch.name}'s online orders to FBR",
    "settings.update_selling": "Change the selling settings (tax, FBR POS fee, cashier discount limit)",
    "settings.create_branch": "Add a branch",
    "settings.update_branch": "Change the branch {branch.name}",
    "settings.create_counter": "Add a counter to {branch.name}",
    "settings.update_counter": "Change the counter {counter.label}",
    "settings.create_payment_method": "Add a payment type",
    "settings.update_payment_method": "Change the payment type {method.label}",
    "settings.set_payment_method_active": "Switch the payment type {method.label} on or off",
    "cash_settings.update": "Change the cash settings (tolerance, blind close, shift limits, drawer limit)",
    "return_settings.update": "Change the returns settings (return window, other branches, refund limit)",
    "return_settings.create_reason": "Add a return reason",
    "return_settings.update_reason": "Change the return reason “{reason.label}”",
    "fbr_settings.update": "Change the business's FBR settings",
    "fbr_settings.update_counter": "Change the FBR settings of {counter.label}",
    "catalog.set_quick_key": "Change the quick key of {variant.display_name}",
    "catalog.set_variant_tax": "Change the tax rate or PCT code of {variant.display_name}",
    "shopify.start_oauth": "Connect the Shopify store",
    "shopify.connect_own_app": "Connect the Shopify store with its own app",
    "shopify.connect_token": "Connect the Shopify store with an access token",
    "shopify.disconnect": "Disconnect the Shopify store: stock stops syncing",
    "locations.map_location": "Link {branch.name} to a Shopify location",
    "locations.start_import": "Import the catalogue from Shopify",
    "sync_health.retry_failed": "Send the failed Shopify updates again",
}
