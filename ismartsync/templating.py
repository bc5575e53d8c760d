"""Jinja setup: filters and the navigation the signed-in member's role allows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, g, request, url_for
from flask_login import current_user

from ismartsync.documents.barcodes import receipt_barcode_svg
from ismartsync.documents.buyer import buyer_of
from ismartsync.documents.qr import fbr_qr_svg, qr_svg
from ismartsync.money import format_money
from ismartsync.permissions import Permission
from ismartsync.phones import mobile_filter
from ismartsync.receipt_codes import receipt_code


def local_time(value: datetime | None, fmt: str = "%d %b %Y, %H:%M", zone: str | None = None) -> str:
    """A UTC timestamp in the merchant's time zone (`zone`, else the signed-in member's), for display only."""
    if value is None:
        return "—"
    if zone is None:
        zone = "Asia/Karachi"
        if current_user and current_user.is_authenticated:
            zone = current_user.merchant.time_zone
    return value.astimezone(ZoneInfo(zone)).strftime(fmt)


def relative_time(value: datetime | None, now: datetime | None = None) -> str:
    """How far a UTC timestamp is from now, as read at a glance: "just now", "4 min ago", "in 25 s", "2 days ago"."""
    if value is None:
        return "—"
    seconds = round(((now or datetime.now(UTC)) - value).total_seconds())
    if abs(seconds) < 5:
        return "just now"
    size = abs(seconds)
    if size >= 2 * 86400:
        amount = f"{size // 86400} days"
    elif size >= 3600:
        amount = f"{size // 3600} h"
    elif size >= 60:
        amount = f"{size // 60} min"
    else:
        amount = f"{size} s"
    return f"{amount} ago" if seconds > 0 else f"in {amount}"


def percent_bp(value: int) -> str:
    """Basis points as a percentage: 1800 → "18", 1750 → "17.5"."""
    whole, frac = divmod(value, 100)
    return f"{whole}" if frac == 0 else f"{whole}.{frac:02d}".rstrip("0")


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: str
    permission: Permission | None
    # Endpoint prefixes of the screens that belong to this item, for highlighting it.
    areas: tuple[str, ...]


NAV = [
    NavItem("dashboard.index", "Dashboard", None, ("dashboard.",)),
    NavItem("counter.index", "Counter", Permission.PAGE_POS, ("counter.",)),
    NavItem("sales.sales", "Sales", Permission.PAGE_ORDERS, ("sales.",)),
    NavItem("online_orders.orders", "Smart Orders", Permission.PAGE_ORDERS, ("online_orders.",)),
    NavItem("registers.registers_page", "Registers", Permission.PAGE_CASH_LOGS, ("registers.", "shifts.shift_report")),
    NavItem("fiscal.documents", "FBR reporting", Permission.PAGE_REPORTS, ("fiscal.",)),
    NavItem("reports.shifts", "Reports", Permission.PAGE_REPORTS, ("reports.",)),
    NavItem("catalog.variants", "Products", Permission.PAGE_PRODUCTS, ("catalog.variant",)),
    NavItem("customers.customers", "Customers", Permission.PAGE_ORDERS, ("customers.",)),
    NavItem("drift.drifts", "Inventory", Permission.PAGE_INVENTORY, ("drift.",)),
    NavItem("staff.members", "Staff", Permission.PAGE_STAFF, ("staff.",)),
    NavItem("rosters.index", "Rosters", Permission.PAGE_STAFF, ("rosters.",)),
    NavItem(
        "settings.business",
        "Settings",
        Permission.PAGE_SETTINGS,
        ("settings.", "fbr_settings.", "cash_settings.", "locations.", "sync_health.", "shopify."),
    ),
    NavItem("audit.entries", "Audit log", Permission.PAGE_AUDIT, ("audit.",)),
]


def _nav() -> list[dict[str, Any]]:
    if not (current_user and current_user.is_authenticated):
        return []
    endpoint = request.endpoint or ""
    return [
        {
            "endpoint": item.endpoint,
            "url": url_for(item.endpoint),
            "label": item.label,
            "current": endpoint.startswith(item.areas),
        }
        for item in NAV
        if item.permission is None or current_user.can(item.permission)
    ]


def init_app(app: Flask) -> None:
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["percent_bp"] = percent_bp
    app.jinja_env.filters["relative_time"] = relative_time
    app.jinja_env.filters["money"] = format_money
    app.jinja_env.filters["mobile"] = mobile_filter
    app.jinja_env.globals.update(
        fbr_qr_svg=fbr_qr_svg,
        qr_svg=qr_svg,
        buyer_of=buyer_of,
        receipt_code=receipt_code,
        receipt_barcode_svg=receipt_barcode_svg,
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def _globals() -> dict[str, Any]:
        return {"nav_items": _nav(), "device": g.get("device"), "Permission": Permission}
