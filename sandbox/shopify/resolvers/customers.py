"""Customers, with protected fields left out (null) for apps not approved for protected customer data."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import GraphQLResolveInfo

from sandbox.shopify.models import Customer, iso
from sandbox.shopify.registry import Ctx, connection, resolves, sorted_items
from sandbox.shopify.resolvers.common import money_v2
from sandbox.shopify.search import Listing, predicate

SEARCH: dict[str, Callable[[Customer], Any]] = {
    "_text": lambda c: f"{c.first_name or ''} {c.last_name or ''} {c.email or ''} {c.phone or ''}",
    "id": lambda c: c.id,
    "email": lambda c: c.email,
    "phone": lambda c: c.phone,
    "first_name": lambda c: c.first_name,
    "last_name": lambda c: c.last_name,
    "tag": lambda c: c.tags,
    "country": lambda c: "Pakistan",
    "created_at": lambda c: c.created_at,
    "updated_at": lambda c: c.updated_at,
    "orders_count": lambda c: c.orders_count,
}
SORTS: dict[str, Callable[[Customer], Any]] = {
    "UPDATED_AT": lambda c: c.updated_at,
    "CREATED_AT": lambda c: c.created_at,
    "NAME": lambda c: f"{c.first_name or ''} {c.last_name or ''}".lower(),
    "LOCATION": lambda c: c.city or "",
}


@connection("QueryRoot", "customers")
def list_customers(_: Any, ctx: Ctx, args: dict[str, Any]) -> Listing:
    ctx.require("customers", "read_customers")
    query = predicate(args.get("query"), SEARCH)
    sort_key = args.get("sortKey") or "ID"

    def keep(c: Customer) -> bool:
        return not c.deleted and (query is None or query(c))

    if sort_key in SORTS:
        ordered = sorted_items(ctx.shop, f"customers:{sort_key}", ctx.shop.customers, SORTS[sort_key])
        return Listing(ordered, SORTS[sort_key], keep, bool(args.get("reverse")))
    return Listing(ctx.shop.customers, lambda c: c.id, keep, bool(args.get("reverse")))


@resolves("QueryRoot", "customersCount")
def count_customers(_: Any, info: GraphQLResolveInfo, **args: Any) -> dict[str, Any]:
    args.pop("limit", None)
    return {"count": sum(1 for _ in list_customers(None, info.context, args).walk(None)), "precision": "EXACT"}


@resolves("QueryRoot", "customer")
def resolve_customer(_: Any, info: GraphQLResolveInfo, id: str) -> Customer | None:
    info.context.require("customer", "read_customers")
    return info.context.shop.lookup_gid(id, "Customer")


def _protected(getter: Callable[[Customer], Any]) -> Callable[..., Any]:
    def resolve(c: Customer, info: GraphQLResolveInfo, **_: Any) -> Any:
        if not info.context.app.get("protected_customer_data", True):
            return None
        return getter(c)

    return resolve


def _address(c: Customer) -> dict[str, Any] | None:
    if not c.city:
        return None
    return {
        "id": f"gid://shopify/MailingAddress/{c.id + 1}?model_name=CustomerAddress",
        "address1": c.address1,
        "address2": None,
        "city": c.city,
        "province": c.province,
        "provinceCode": c.province_code,
        "zip": c.zip,
        "country": "Pakistan",
        "countryCodeV2": "PK",
        "firstName": c.first_name,
        "lastName": c.last_name,
        "name": " ".join(p for p in (c.first_name, c.last_name) if p),
        "phone": c.phone,
        "formatted": [p for p in (c.address1, f"{c.city} {c.zip}", "Pakistan") if p],
    }


PLAIN: dict[str, Callable[[Customer], Any]] = {
    "id": lambda c: c.gid,
    "legacyResourceId": lambda c: str(c.id),
    "createdAt": lambda c: iso(c.created_at),
    "updatedAt": lambda c: iso(c.updated_at),
    "numberOfOrders": lambda c: str(c.orders_count),
    "amountSpent": lambda c: money_v2(c.amount_spent),
    "tags": lambda c: list(c.tags),
    "note": lambda c: c.note,
    "state": lambda c: "ENABLED",
    "verifiedEmail": lambda c: c.verified_email,
    "taxExempt": lambda c: False,
    "locale": lambda c: "en",
    "canDelete": lambda c: c.orders_count == 0,
}
PROTECTED: dict[str, Callable[[Customer], Any]] = {
    "firstName": lambda c: c.first_name,
    "lastName": lambda c: c.last_name,
    "displayName": lambda c: " ".join(p for p in (c.first_name, c.last_name) if p) or c.email or c.phone or "",
    "email": lambda c: c.email,
    "phone": lambda c: c.phone,
    "defaultEmailAddress": lambda c: (
        {"emailAddress": c.email, "marketingState": "NOT_SUBSCRIBED", "validFormat": True} if c.email else None
    ),
    "defaultPhoneNumber": lambda c: {"phoneNumber": c.phone} if c.phone else None,
    "defaultAddress": _address,
    "addresses": lambda c: [a for a in (_address(c),) if a],
}
for _name, _getter in PLAIN.items():
    resolves("Customer", _name)(lambda c, info, _g=_getter, **_: _g(c))
for _name, _getter in PROTECTED.items():
    resolves("Customer", _name)(_protected(_getter))


@resolves("Customer", "displayName")
def display_name(c: Customer, info: GraphQLResolveInfo) -> str:
    if not info.context.app.get("protected_customer_data", True):
        return f"Customer {c.id}"
    return PROTECTED["displayName"](c)
