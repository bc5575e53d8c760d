"""Which Python function answers which field of Shopify's schema, and the context every resolver gets."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError, GraphQLResolveInfo

from sandbox.shopify.auth import has_scope
from sandbox.shopify.search import Listing, paginate
from sandbox.shopify.store import ShopState

if TYPE_CHECKING:
    from sandbox.shopify.core import Sandbox

Resolver = Callable[..., Any]
ListingSource = Callable[[Any, "Ctx", dict[str, Any]], Listing]
RESOLVERS: dict[str, dict[str, Resolver]] = defaultdict(dict)
GETTERS: dict[tuple[str, str], Callable[[Any], Any]] = {}
LISTINGS: dict[tuple[str, str], ListingSource] = {}


@dataclass
class Ctx:
    """Who is asking, about which shop, on which API version."""

    sandbox: Sandbox
    shop: ShopState
    client_id: str
    scopes: tuple[str, ...]
    version: str
    base_url: str
    fault: Any = None  # the fault rule this request drew (faults.py), for resolvers that act on it

    @property
    def app(self) -> dict[str, Any]:
        return self.sandbox.auth.app(self.client_id) or {}

    def now(self) -> float:
        return self.sandbox.now()

    def at_least(self, version: str) -> bool:
        return self.version == "unstable" or self.version >= version

    def require(self, field_name: str, *scopes: str) -> None:
        """Shopify's ACCESS_DENIED when the token holds none of `scopes`."""
        if any(has_scope(self.scopes, s) for s in scopes):
            return
        wanted = " or ".join(f"`{s}`" for s in scopes)
        raise GraphQLError(
            f"Access denied for {field_name} field. Required access: {wanted} access scope.",
            extensions={
                "code": "ACCESS_DENIED",
                "documentation": "https://shopify.dev/api/usage/access-scopes",
                "requiredAccess": f"{wanted} access scope.",
            },
        )


def resolves(type_name: str, *field_names: str) -> Callable[[Resolver], Resolver]:
    """Register `fn(obj, info, **args)` for the named fields of a schema type."""

    def register(fn: Resolver) -> Resolver:
        for name in field_names:
            RESOLVERS[type_name][name] = fn
        return fn

    return register


def fields(type_name: str, mapping: dict[str, Callable[[Any], Any]]) -> None:
    """Register plain `obj -> value` getters."""
    for name, getter in mapping.items():
        RESOLVERS[type_name][name] = lambda obj, info, _g=getter, **_: _g(obj)
        GETTERS[(type_name, name)] = getter  # bulk operations call these directly


def connection(type_name: str, field_name: str) -> Callable[[ListingSource], ListingSource]:
    """Register a listing source for a connection field; pagination (and bulk iteration) come from it."""

    def register(source: ListingSource) -> ListingSource:
        LISTINGS[(type_name, field_name)] = source

        def resolve(obj: Any, info: GraphQLResolveInfo, **args: Any) -> dict[str, Any]:
            return paginate(source(obj, info.context, args), args)

        RESOLVERS[type_name][field_name] = resolve
        return source

    return register


def sorted_items(shop: ShopState, name: str, items: list[Any], key: Callable[[Any], Any]) -> list[Any]:
    """`items` sorted by (key, id), cached until the shop next changes."""
    cache = shop.cache.get(name)
    if cache is None or cache[0] != shop.revision:
        cache = (shop.revision, sorted(items, key=lambda obj: (key(obj), obj.id)))
        shop.cache[name] = cache
    return cache[1]
