"""`flask shopify-check`'s checks of one store through one token: the scopes granted against ours, the webhook
subscriptions, the API version Shopify serves, and one read of each kind. Only reads; nothing is changed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ismartsync.shopify import subscriptions as wire
from ismartsync.shopify.client import ShopifyClient
from ismartsync.shopify.errors import ShopifyError
from ismartsync.shopify.version import API_VERSION


@dataclass(frozen=True)
class Expected:
    """What the store must give us: scopes, and the webhook topics at our address (None: our app's installs, whose
    subscriptions live in shopify.app.toml and are not listed per shop)."""

    scopes: tuple[str, ...]
    topics: tuple[str, ...] | None
    callback_url: str


@dataclass
class Report:
    """One line per check: ok lines and problems, in order."""

    lines: list[tuple[bool, str]] = field(default_factory=list)

    def ok(self, message: str) -> None:
        self.lines.append((True, message))

    def problem(self, message: str) -> None:
        self.lines.append((False, message))

    @property
    def problems(self) -> list[str]:
        return [message for fine, message in self.lines if not fine]


def _granted(scopes: set[str], wanted: str) -> bool:
    """A write scope implies its read scope, as in Shopify."""
    return wanted in scopes or (wanted.startswith("read_") and "write_" + wanted[5:] in scopes)


def check_store(client: ShopifyClient, expected: Expected) -> Report:
    """Every check, each on its own: one failing read does not hide the others."""
    report = Report()
    granted = _check_scopes(client, expected, report)
    _check_version(client, report)
    _check_subscriptions(client, expected, report)
    _check_reads(client, granted, report)
    return report


def _attempt(report: Report, what: str, read: Callable[[], str]) -> None:
    try:
        report.ok(f"{what}: {read()}")
    except ShopifyError as exc:
        report.problem(f"{what}: {exc.message}")


def _check_scopes(client: ShopifyClient, expected: Expected, report: Report) -> set[str]:
    try:
        installation = client.query("AppInstallation", {})["currentAppInstallation"]
    except ShopifyError as exc:
        report.problem(f"Scopes: could not read the app's installation: {exc.message}")
        return set()
    granted = {scope["handle"] for scope in installation["accessScopes"]}
    missing = [scope for scope in expected.scopes if not _granted(granted, scope)]
    if missing:
        report.problem(f"Scopes: missing {', '.join(missing)} (granted: {', '.join(sorted(granted)) or 'none'})")
    else:
        report.ok(f"Scopes: every one iSmartSync needs is granted ({len(expected.scopes)})")
    return granted


def _check_version(client: ShopifyClient, report: Report) -> None:
    served = client.served_version
    if served == API_VERSION:
        report.ok(f"API version: Shopify serves {API_VERSION}")
    else:
        report.problem(f"API version: asked for {API_VERSION}, Shopify served {served or 'nothing'}")


def _check_subscriptions(client: ShopifyClient, expected: Expected, report: Report) -> None:
    try:
        listed = wire.list_subscriptions(client, expected.topics or ())
    except ShopifyError as exc:
        report.problem(f"Webhooks: could not list the subscriptions: {exc.message}")
        return
    ours = [s for s in listed if s.uri == expected.callback_url]
    if expected.topics is None:
        report.ok("Webhooks: declared in shopify.app.toml (deploy it with `shopify app deploy`); not listed per shop")
        if ours:
            report.problem(
                f"Webhooks: {len(ours)} shop-specific subscriptions to {expected.callback_url} as well: each change "
                "would arrive twice"
            )
        return
    have = {s.topic for s in ours}
    missing = [topic for topic in expected.topics if topic not in have]
    if missing:
        report.problem(f"Webhooks: not subscribed at {expected.callback_url}: {', '.join(missing)}")
    else:
        report.ok(f"Webhooks: all {len(expected.topics)} topics subscribed at {expected.callback_url}")
    extra = sorted({s.topic for s in ours} - set(expected.topics))
    if extra:
        report.problem(f"Webhooks: subscribed but not needed (the daily check removes them): {', '.join(extra)}")


def _check_reads(client: ShopifyClient, granted: set[str], report: Report) -> None:
    def shop() -> str:
        found = client.query("Shop", {})["shop"]
        return f"{found['name']} ({found['myshopifyDomain']}, {found['currencyCode']}, {found['ianaTimezone']})"

    locations: list[dict[str, Any]] = []

    def read_locations() -> str:
        page = client.query("Locations", {"after": None, "includeInactive": True})["locations"]
        locations.extend(page["nodes"])
        active = sum(1 for n in page["nodes"] if n["isActive"])
        more = " or more" if page["pageInfo"]["hasNextPage"] else ""
        return f"{len(page['nodes'])}{more} locations, {active} active"

    def products() -> str:
        page = client.query("ProductVariantsPage", {"first": 5})["productVariants"]
        return f"read {len(page['nodes'])} variants" if page["nodes"] else "the store has no products yet"

    def levels() -> str:
        active = [n for n in locations if n["isActive"]]
        if not active:
            return "no active location to read"
        found = client.query("LocationInventoryLevels", {"locationId": active[0]["id"], "first": 5})["location"]
        return f"read {len(found['inventoryLevels']['nodes'])} levels at {active[0]['name']}"

    def orders() -> str:
        nodes = client.query("RecentOrders", {})["orders"]["nodes"]
        return f"newest {nodes[0]['name']}" if nodes else "no orders yet"

    _attempt(report, "Shop", shop)
    _attempt(report, "Products", products)
    _attempt(report, "Locations", read_locations)
    _attempt(report, "Inventory levels", levels)
    if _granted(granted, "read_orders"):
        _attempt(report, "Orders", orders)
    else:
        report.ok("Orders: not read (read_orders is not granted)")
