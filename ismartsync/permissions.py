"""The permission catalogue: page access and actions, and what each default role gets."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Effect(StrEnum):
    ALLOWED = "allowed"
    BLOCKED = "blocked"
    NEEDS_APPROVAL = "approval"

    @property
    def label(self) -> str:
        return {"allowed": "Allowed", "blocked": "Blocked", "approval": "Needs approval"}[self.value]


class Permission(StrEnum):
    # Page access: which modules a role sees.
    PAGE_POS = "page.pos"
    PAGE_ORDERS = "page.orders"
    PAGE_PRODUCTS = "page.products"
    PAGE_INVENTORY = "page.inventory"
    PAGE_CASH_LOGS = "page.cash_logs"
    PAGE_REPORTS = "page.reports"
    PAGE_SETTINGS = "page.settings"
    PAGE_STAFF = "page.staff"
    PAGE_AUDIT = "page.audit"
    # Actions: each may be allowed, blocked or need a supervisor's approval.
    REFUND = "action.refund"
    PRICE_EDIT = "action.price_edit"
    DISCOUNT_OVER_LIMIT = "action.discount_over_limit"
    VOID = "action.void"
    STOCK_EDIT = "action.stock_edit"
    TRANSFER = "action.transfer"
    EXPORT = "action.export"
    CASH_IN_OUT = "action.cash_in_out"
    CLOSE_REGISTER = "action.close_register"
    END_OF_DAY = "action.end_of_day"
    REOPEN_DAY = "action.reopen_day"
    APPROVE = "action.approve"
    EDIT_SETTINGS = "action.edit_settings"
    MANAGE_STAFF = "action.manage_staff"
    MANAGE_ROLES = "action.manage_roles"
    PAIR_DEVICE = "action.pair_device"
    RESOLVE_FISCAL = "action.resolve_fiscal"
    CLOSE_OVER_TOLERANCE = "action.close_over_tolerance"
    MANAGE_SHIFTS = "action.manage_shifts"
    MANAGE_ROSTER = "action.manage_roster"
    CONFIRM_ORDERS = "action.confirm_orders"
    MOVE_ORDERS = "action.move_orders"
    CANCEL_ONLINE_ORDER = "action.cancel_online_order"

    @property
    def is_page(self) -> bool:
        return self.value.startswith("page.")

    @property
    def info(self) -> PermissionInfo:
        return CATALOGUE[self]


@dataclass(frozen=True)
class PermissionInfo:
    label: str
    description: str


CATALOGUE: dict[Permission, PermissionInfo] = {
    Permission.PAGE_POS: PermissionInfo("POS", "Sell at the counter"),
    Permission.PAGE_ORDERS: PermissionInfo("Orders", "Sales and online orders"),
    Permission.PAGE_PRODUCTS: PermissionInfo("Products", "Catalog, prices and barcodes"),
    Permission.PAGE_INVENTORY: PermissionInfo("Inventory", "Branch stock and transfers"),
    Permission.PAGE_CASH_LOGS: PermissionInfo("Cash logs", "Registers, shifts and cash movements"),
    Permission.PAGE_REPORTS: PermissionInfo("Reports", "Sales, tax and shift reports"),
    Permission.PAGE_SETTINGS: PermissionInfo("Settings", "Business profile, branches and counters"),
    Permission.PAGE_STAFF: PermissionInfo("Staff", "Members and roles"),
    Permission.PAGE_AUDIT: PermissionInfo("Audit log", "Who did what, and who approved it"),
    Permission.REFUND: PermissionInfo("Issue refund", "Refund or return a sale"),
    Permission.PRICE_EDIT: PermissionInfo("Edit price", "Override a price at the counter"),
    Permission.DISCOUNT_OVER_LIMIT: PermissionInfo("Discount over limit", "Give a discount beyond the cashier limit"),
    Permission.VOID: PermissionInfo("Void", "Void a line or a whole cart"),
    Permission.STOCK_EDIT: PermissionInfo("Edit stock", "Adjust or count branch stock"),
    Permission.TRANSFER: PermissionInfo("Transfer stock", "Move stock between branches"),
    Permission.EXPORT: PermissionInfo("Export data", "Download CSV and XLSX exports"),
    Permission.CASH_IN_OUT: PermissionInfo("Cash in / out", "Record cash put in or taken out of a drawer"),
    Permission.CLOSE_REGISTER: PermissionInfo("Close register", "Close shifts and registers"),
    Permission.END_OF_DAY: PermissionInfo("End of day", "Run the day close for a branch"),
    Permission.REOPEN_DAY: PermissionInfo(
        "Reopen the day", "Reopen today's closed day at a branch, with a reason, so registers can start again"
    ),
    Permission.APPROVE: PermissionInfo("Approve", "Approve other people's actions with a PIN"),
    Permission.EDIT_SETTINGS: PermissionInfo("Change settings", "Edit business profile, branches and counters"),
    Permission.MANAGE_STAFF: PermissionInfo("Manage staff", "Invite, edit and deactivate members"),
    Permission.MANAGE_ROLES: PermissionInfo("Manage roles", "Create roles and change permissions"),
    Permission.PAIR_DEVICE: PermissionInfo("Pair devices", "Pair or unpair counter tablets"),
    Permission.RESOLVE_FISCAL: PermissionInfo("Resolve FBR reports", "Send an FBR report again or settle it by hand"),
    Permission.CLOSE_OVER_TOLERANCE: PermissionInfo(
        "Close over tolerance", "Close a shift whose count misses the expected cash by more than the tolerance"
    ),
    Permission.MANAGE_SHIFTS: PermissionInfo("Manage shifts", "Extend a shift past its limit or close another's shift"),
    Permission.MANAGE_ROSTER: PermissionInfo("Manage rosters", "Plan, change and publish staff rosters"),
    Permission.CONFIRM_ORDERS: PermissionInfo(
        "Confirm COD orders", "Call or WhatsApp a customer and record whether the online order is confirmed"
    ),
    Permission.MOVE_ORDERS: PermissionInfo(
        "Move online orders", "Send an online order's fulfilment to another branch that has the stock"
    ),
    Permission.CANCEL_ONLINE_ORDER: PermissionInfo(
        "Cancel online orders", "Cancel an online order in Shopify before anything of it is dispatched"
    ),
}

PAGES = [p for p in Permission if p.is_page]
ACTIONS = [p for p in Permission if not p.is_page]

_A, _N = Effect.ALLOWED, Effect.NEEDS_APPROVAL

# Grants of the default roles; anything not listed is blocked. Owners hold everything, always.
# Managers hold everything but the roles and reopening a closed day (an owner's call; an owner may grant it).
_OWNERS_ONLY = {Permission.MANAGE_ROLES, Permission.REOPEN_DAY}
DEFAULT_ROLES: dict[str, dict[Permission, Effect]] = {
    "Manager": {p: _A for p in Permission if p not in _OWNERS_ONLY},
    "Cashier": {
        Permission.PAGE_POS: _A,
        Permission.PAGE_ORDERS: _A,
        Permission.REFUND: _N,
        Permission.PRICE_EDIT: _N,
        Permission.DISCOUNT_OVER_LIMIT: _N,
        Permission.VOID: _N,
        Permission.CASH_IN_OUT: _N,
        Permission.CLOSE_REGISTER: _A,
        Permission.CLOSE_OVER_TOLERANCE: _N,
        Permission.MANAGE_SHIFTS: _N,
        Permission.CONFIRM_ORDERS: _A,  # the branch team calls and WhatsApps COD customers
    },
    "Inventory": {
        Permission.PAGE_PRODUCTS: _A,
        Permission.PAGE_INVENTORY: _A,
        Permission.PAGE_ORDERS: _A,
        Permission.STOCK_EDIT: _A,
        Permission.TRANSFER: _A,
        Permission.EXPORT: _A,
    },
    "Accountant": {
        Permission.PAGE_ORDERS: _A,
        Permission.PAGE_REPORTS: _A,
        Permission.PAGE_CASH_LOGS: _A,
        Permission.PAGE_AUDIT: _A,
        Permission.EXPORT: _A,
        Permission.RESOLVE_FISCAL: _A,
    },
}
OWNER_ROLE_NAME = "Owner"
