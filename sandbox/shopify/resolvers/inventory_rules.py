"""Shopify's checks on inventory writes, as user errors with its codes and field paths (and the 2026-04 runtime
rules the schema cannot express)."""

from __future__ import annotations

import re
from typing import Any

from graphql import GraphQLError

from sandbox.shopify.idempotency import REQUIRED_FROM
from sandbox.shopify.models import Location, Variant
from sandbox.shopify.registry import Ctx
from sandbox.shopify.resolvers.common import user_error

REASONS = frozenset(
    (
        "correction",
        "cycle_count_available",
        "damaged",
        "movement_created",
        "movement_updated",
        "movement_received",
        "movement_canceled",
        "other",
        "promotion",
        "quality_control",
        "received",
        "reservation_created",
        "reservation_deleted",
        "reservation_updated",
        "restock",
        "safety_stock",
        "shrinkage",
    )
)
STATE_NAMES = ("available", "damaged", "quality_control", "reserved", "safety_stock", "incoming")
URI_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:\S+$")
MAX_INPUT = 250
LIMIT = 1_000_000_000


def check_size(items: list[Any], path: str) -> None:
    if len(items) > MAX_INPUT:
        raise GraphQLError(
            f"The input array size of {len(items)} is greater than the maximum allowed of {MAX_INPUT}.",
            extensions={"code": "MAX_INPUT_SIZE_EXCEEDED", "path": path},
        )


def check_change_from(ctx: Ctx, items: list[dict[str, Any]], path: str) -> None:
    """From 2026-04 `changeFromQuantity` must be given explicitly (null allowed); graphql cannot say so."""
    if not ctx.at_least(REQUIRED_FROM):
        return
    for i, item in enumerate(items):
        if "changeFromQuantity" not in item:
            raise GraphQLError(
                f"{path}.{i}.changeFromQuantity is required from API version {REQUIRED_FROM}: pass the quantity you "
                "expect (compare-and-swap) or null to skip the check.",
                extensions={"code": "MISSING_REQUIRED_INPUT_FIELD", "field": f"{path}.{i}.changeFromQuantity"},
            )


def common_errors(input_: dict[str, Any]) -> list[dict[str, Any]]:
    errors = []
    if input_["reason"] not in REASONS:
        errors.append(user_error("The specified reason is invalid.", ["input", "reason"], "INVALID_REASON"))
    ref = input_.get("referenceDocumentUri")
    if ref is not None and not URI_RE.match(ref):
        errors.append(
            user_error(
                "The specified reference document is invalid.",
                ["input", "referenceDocumentUri"],
                "INVALID_REFERENCE_DOCUMENT",
            )
        )
    return errors


def target(
    ctx: Ctx, item_gid: str, location_gid: str, path: list[str], errors: list[dict[str, Any]]
) -> tuple[Variant, Location] | None:
    """The variant and location a change names, or a Shopify user error for why not."""
    variant = ctx.shop.lookup_gid(item_gid, "InventoryItem")
    location = ctx.shop.lookup_gid(location_gid, "Location")
    if variant is None:
        errors.append(
            user_error(
                "The specified inventory item could not be found.", [*path, "inventoryItemId"], "INVALID_INVENTORY_ITEM"
            )
        )
    elif not variant.tracked:
        errors.append(
            user_error(
                "The inventory item is not tracked, so its quantities can't be changed. Turn on tracking first.",
                [*path, "inventoryItemId"],
                "INVALID_INVENTORY_ITEM",
            )
        )
    if location is None or not location.is_active:
        errors.append(
            user_error("The specified location could not be found.", [*path, "locationId"], "INVALID_LOCATION")
        )
    if errors or variant is None or location is None:
        return None
    if not ctx.shop.stock.is_active(variant.idx, location.idx):
        errors.append(
            user_error(
                "The specified inventory item is not stocked at the location.",
                [*path, "locationId"],
                "ITEM_NOT_STOCKED_AT_LOCATION",
            )
        )
        return None
    return variant, location


def check_cas(
    ctx: Ctx,
    change_from: int | None,
    variant: Variant,
    location: Location,
    name: str,
    path: list[str],
    errors: list[dict[str, Any]],
) -> None:
    if change_from is not None and change_from != ctx.shop.stock.get(variant.idx, location.idx, name):
        errors.append(
            user_error(
                "The changeFromQuantity argument no longer matches the persisted quantity.",
                [*path, "changeFromQuantity"],
                "CHANGE_FROM_QUANTITY_STALE",
            )
        )


def check_ledger(name: str, uri: str | None, path: list[str], errors: list[dict[str, Any]]) -> None:
    if name == "available" and uri is not None:
        errors.append(
            user_error(
                "A ledger document URI is not allowed when adjusting available.",
                [*path, "ledgerDocumentUri"],
                "INVALID_AVAILABLE_DOCUMENT",
            )
        )
    elif name != "available" and uri is None:
        errors.append(
            user_error(
                "A ledger document URI is required except when adjusting available.",
                [*path, "ledgerDocumentUri"],
                "INVALID_QUANTITY_DOCUMENT",
            )
        )
    elif uri is not None and uri.startswith("gid://shopify/"):
        errors.append(
            user_error(
                "Internal (gid://shopify/) ledger documents are not allowed to be adjusted via API.",
                [*path, "ledgerDocumentUri"],
                "INTERNAL_LEDGER_DOCUMENT",
            )
        )
