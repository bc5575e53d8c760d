"""Jinja setup: filters and the navigation the signed-in member's role allows."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, g, url_for
from flask_login import current_user

from ismartsync.money import format_money
from ismartsync.permissions import Permission


def local_time(value: datetime | None, fmt: str = "%d %b %Y, %H:%M") -> str:
    """A UTC timestamp in the merchant's time zone, for display only."""
    if value is None:
        return "—"
    zone = "Asia/Karachi"
    if current_user and current_user.is_authenticated:
        zone = current_user.merchant.time_zone
    return value.astimezone(ZoneInfo(zone)).strftime(fmt)


def percent_bp(value: int) -> str:
    """Basis points as a percentage: 1800 → "18", 1750 → "17.5"."""
    whole, frac = divmod(value, 100)
    return f"{whole}" if frac == 0 else f"{whole}.{frac:02d}".rstrip("0")


NAV = [
    # (endpoint, label, permission that shows it)
    ("dashboard.index", "Dashboard", None),
    ("catalog.variants", "Products", Permission.PAGE_PRODUCTS),
    ("catalog.customers", "Customers", Permission.PAGE_ORDERS),
    ("staff.members", "Staff", Permission.PAGE_STAFF),
    ("settings.business", "Settings", Permission.PAGE_SETTINGS),
    ("audit.entries", "Audit log", Permission.PAGE_AUDIT),
]


def _nav() -> list[dict[str, Any]]:
    if not (current_user and current_user.is_authenticated):
        return []
    return [
        {"endpoint": endpoint, "url": url_for(endpoint), "label": label}
        for endpoint, label, permission in NAV
        if permission is None or current_user.can(permission)
    ]


def init_app(app: Flask) -> None:
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["percent_bp"] = percent_bp
    app.jinja_env.filters["money"] = format_money
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def _globals() -> dict[str, Any]:
        return {"nav_items": _nav(), "device": g.get("device"), "Permission": Permission}
