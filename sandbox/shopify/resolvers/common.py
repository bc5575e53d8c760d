"""Small shapes many resolvers share: money, GID lookups by argument, user errors."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sandbox.shopify.models import ItemView, money
from sandbox.shopify.registry import Ctx
from sandbox.shopify.store import parse_gid

CURRENCY = "PKR"


def decimal(minor: int | None) -> str | None:
    """Decimal scalar ("2990.0"), as MoneyV2.amount is written."""
    if minor is None:
        return None
    value = Decimal(minor) / 100
    text = format(value.normalize(), "f")
    return text if "." in text else text + ".0"


def money_v2(minor: int | None) -> dict[str, Any] | None:
    return None if minor is None else {"amount": decimal(minor), "currencyCode": CURRENCY}


def money_bag(minor: int | None) -> dict[str, Any] | None:
    if minor is None:
        return None
    amount = money_v2(minor)
    return {"shopMoney": amount, "presentmentMoney": amount}


def price(minor: int | None) -> str | None:
    """Money scalar ("2990.00")."""
    return money(minor)


def user_error(message: str, field: list[str] | None = None, code: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"message": message, "field": field}
    if code is not None:
        error["code"] = code
    return error


def node_for(ctx: Ctx, value: Any) -> Any:
    """The record a GID names (InventoryItem GIDs give the item view), or None."""
    parsed = parse_gid(value)
    if parsed is None:
        return None
    obj = ctx.shop.lookup(*parsed)
    if obj is not None and parsed[0] == "InventoryItem":
        return ItemView(obj)
    return obj


def location_address(loc: Any) -> dict[str, Any]:
    return {
        "address1": loc.address1,
        "address2": None,
        "city": loc.city,
        "country": "Pakistan",
        "countryCode": "PK",
        "province": loc.province,
        "provinceCode": loc.province_code,
        "zip": loc.zip,
        "phone": loc.phone,
        "formatted": [loc.address1, f"{loc.city} {loc.province_code} {loc.zip}", "Pakistan"],
        "latitude": None,
        "longitude": None,
    }
