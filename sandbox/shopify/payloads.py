"""REST-shaped webhook payloads (numeric ids, snake_case, shop-time-zone timestamps, admin_graphql_api_id)."""

from __future__ import annotations

from typing import Any

from sandbox.shopify.models import (
    Customer,
    Fulfillment,
    FulfillmentHold,
    FulfillmentOrder,
    Location,
    Order,
    Product,
    Refund,
    Variant,
    gid,
    iso,
    money,
    rest_time,
)
from sandbox.shopify.store import ShopState


def inventory_level(shop: ShopState, variant: Variant, location: Location) -> dict[str, Any]:
    level = shop.level(variant, location)
    return {
        "inventory_item_id": variant.item_id,
        "location_id": location.id,
        "available": shop.stock.get(variant.idx, location.idx, "available"),
        "updated_at": rest_time(shop.stock.updated_at[location.idx][variant.idx] or variant.item_updated_at),
        "admin_graphql_api_id": level.gid,
    }


def inventory_item(variant: Variant) -> dict[str, Any]:
    return {
        "id": variant.item_id,
        "sku": variant.sku,
        "created_at": rest_time(variant.created_at),
        "updated_at": rest_time(variant.item_updated_at),
        "requires_shipping": variant.requires_shipping,
        "cost": money(variant.unit_cost),
        "country_code_of_origin": "PK",
        "province_code_of_origin": None,
        "harmonized_system_code": None,
        "tracked": variant.tracked,
        "country_harmonized_system_codes": [],
        "admin_graphql_api_id": variant.item_gid,
    }


def variant_payload(shop: ShopState, v: Variant) -> dict[str, Any]:
    options = [*v.options, None, None, None][:3]
    return {
        "id": v.id,
        "product_id": v.product.id,
        "title": v.title,
        "price": money(v.price),
        "position": v.position,
        "inventory_policy": v.inventory_policy.lower(),
        "compare_at_price": money(v.compare_at),
        "option1": options[0],
        "option2": options[1],
        "option3": options[2],
        "created_at": rest_time(v.created_at),
        "updated_at": rest_time(v.updated_at),
        "taxable": True,
        "barcode": v.barcode,
        "sku": v.sku,
        "fulfillment_service": "manual",
        "grams": v.grams,
        "inventory_management": "shopify" if v.tracked else None,
        "requires_shipping": v.requires_shipping,
        "inventory_item_id": v.item_id,
        "inventory_quantity": total_available(shop, v),
        "old_inventory_quantity": total_available(shop, v),
        "image_id": None,
        "admin_graphql_api_id": v.gid,
    }


def total_available(shop: ShopState, v: Variant) -> int:
    return sum(
        shop.stock.get(v.idx, loc.idx, "available") for loc in shop.locations if shop.stock.is_active(v.idx, loc.idx)
    )


def product(shop: ShopState, p: Product) -> dict[str, Any]:
    variants = p.live_variants()
    return {
        "id": p.id,
        "title": p.title,
        "body_html": p.description,
        "vendor": p.vendor,
        "product_type": p.product_type,
        "created_at": rest_time(p.created_at),
        "handle": p.handle,
        "updated_at": rest_time(p.updated_at),
        "published_at": rest_time(p.published_at),
        "template_suffix": None,
        "published_scope": "global",
        "tags": ", ".join(p.tags),
        "status": p.status.lower(),
        "admin_graphql_api_id": p.gid,
        "variants": [variant_payload(shop, v) for v in variants],
        "options": [
            {
                "id": shop.base("ProductOption") + p.id % 10**8 * 4 + i,
                "product_id": p.id,
                "name": name,
                "position": i + 1,
                "values": values,
            }
            for i, (name, values) in enumerate(p.options)
        ],
        "images": [],
        "image": None,
        "media": [],
        "has_variants_that_requires_components": False,
        "category": None,
        "variant_gids": [{"admin_graphql_api_id": v.gid, "updated_at": iso(v.updated_at)} for v in variants],
    }


def location(loc: Location) -> dict[str, Any]:
    return {
        "id": loc.id,
        "name": loc.name,
        "address1": loc.address1,
        "address2": None,
        "city": loc.city,
        "zip": loc.zip,
        "province": loc.province,
        "country": "PK",
        "phone": loc.phone,
        "created_at": rest_time(loc.created_at),
        "updated_at": rest_time(loc.updated_at),
        "country_code": "PK",
        "country_name": "Pakistan",
        "province_code": loc.province_code,
        "legacy": False,
        "active": loc.is_active,
        "admin_graphql_api_id": loc.gid,
    }


def customer(c: Customer) -> dict[str, Any]:
    address = None
    if c.city:
        address = {
            "id": c.id + 1,
            "customer_id": c.id,
            "first_name": c.first_name,
            "last_name": c.last_name,
            "address1": c.address1,
            "city": c.city,
            "province": c.province,
            "country": "Pakistan",
            "zip": c.zip,
            "phone": c.phone,
            "province_code": c.province_code,
            "country_code": "PK",
            "country_name": "Pakistan",
            "default": True,
        }
    return {
        "id": c.id,
        "email": c.email,
        "created_at": rest_time(c.created_at),
        "updated_at": rest_time(c.updated_at),
        "first_name": c.first_name,
        "last_name": c.last_name,
        "state": "enabled",
        "note": c.note,
        "verified_email": c.verified_email,
        "multipass_identifier": None,
        "tax_exempt": False,
        "phone": c.phone,
        "currency": "PKR",
        "tags": ", ".join(c.tags),
        "addresses": [address] if address else [],
        "tax_exemptions": [],
        "admin_graphql_api_id": c.gid,
        "default_address": address,
    }


def order(o: Order) -> dict[str, Any]:
    status = o.fulfillment_status()
    return {
        "id": o.id,
        "admin_graphql_api_id": o.gid,
        "name": o.name,
        "order_number": o.number,
        "number": o.number - 1000,
        "created_at": rest_time(o.created_at),
        "updated_at": rest_time(o.updated_at),
        "processed_at": rest_time(o.created_at),
        "cancelled_at": rest_time(o.cancelled_at),
        "cancel_reason": o.cancel_reason,
        "closed_at": rest_time(o.closed_at),
        "source_name": o.source_name,
        "app_id": 580111,
        "location_id": None,
        "financial_status": o.financial_status.lower(),
        "total_outstanding": money(max(0, o.total() - o.paid)) if not o.cancelled_at else "0.00",
        "fulfillment_status": {"FULFILLED": "fulfilled", "PARTIALLY_FULFILLED": "partial"}.get(status),
        "currency": "PKR",
        "presentment_currency": "PKR",
        "total_price": money(o.total()),
        "subtotal_price": money(o.total()),
        "total_tax": "0.00",
        "taxes_included": True,
        "test": False,
        "email": o.email,
        "phone": o.phone,
        "gateway": o.gateway,
        "payment_gateway_names": [o.gateway],
        "note": o.note,
        "tags": ", ".join(o.tags),
        "customer": {
            "id": o.customer.id,
            "email": o.customer.email,
            "first_name": o.customer.first_name,
            "last_name": o.customer.last_name,
            "phone": o.customer.phone,
            "admin_graphql_api_id": o.customer.gid,
        }
        if o.customer
        else None,
        "shipping_address": o.shipping_address,
        "billing_address": o.shipping_address,
        "line_items": [
            {
                "id": li.id,
                "admin_graphql_api_id": li.gid,
                "variant_id": li.variant.id if li.variant else None,
                "product_id": li.variant.product.id if li.variant else None,
                "title": li.title,
                "name": li.title,
                "variant_title": li.variant_title,
                "sku": li.sku,
                "vendor": li.vendor,
                "quantity": li.quantity,
                "current_quantity": li.current_quantity,
                "price": money(li.price),
                "fulfillable_quantity": max(0, li.current_quantity - li.fulfilled + li.refunded_fulfilled)
                if not o.cancelled_at
                else 0,
                "requires_shipping": li.requires_shipping,
                "fulfillment_status": None
                if li.fulfilled == 0
                else "fulfilled"
                if li.fulfilled >= li.quantity
                else "partial",
                "taxable": True,
            }
            for li in o.line_items
        ],
        "fulfillments": [fulfillment(f) for f in o.fulfillments],
        "refunds": [refund(r) for r in o.refunds],
    }


def fulfillment(f: Fulfillment) -> dict[str, Any]:
    first = f.tracking[0] if f.tracking else {}
    return {
        "id": f.id,
        "admin_graphql_api_id": f.gid,
        "order_id": f.order.id,
        "name": f.name,
        "status": "success",
        "created_at": rest_time(f.created_at),
        "updated_at": rest_time(f.updated_at),
        "location_id": f.location.id,
        "tracking_company": first.get("company"),
        "tracking_number": first.get("number"),
        "tracking_numbers": [t["number"] for t in f.tracking if t.get("number")],
        "tracking_url": first.get("url"),
        "tracking_urls": [t["url"] for t in f.tracking if t.get("url")],
        "line_items": [
            {
                "id": fli.line_item.id,
                "quantity": fli.quantity,
                "sku": fli.line_item.sku,
                "variant_id": fli.line_item.variant.id if fli.line_item.variant else None,
            }
            for fli in f.line_items
        ],
    }


def shop_payload(shop: ShopState) -> dict[str, Any]:
    return {
        "id": shop.id,
        "name": shop.name,
        "email": shop.email,
        "domain": shop.domain,
        "province": "Punjab",
        "country": "PK",
        "address1": "45-C Main Boulevard, Gulberg III",
        "zip": "54660",
        "city": "Lahore",
        "phone": "+924235761234",
        "created_at": rest_time(shop.created_at),
        "updated_at": rest_time(shop.created_at),
        "country_code": "PK",
        "country_name": "Pakistan",
        "currency": "PKR",
        "customer_email": shop.email,
        "timezone": "(GMT+05:00) Asia/Karachi",
        "iana_timezone": "Asia/Karachi",
        "shop_owner": "Zari Owner",
        "money_format": "Rs.{{amount}}",
        "weight_unit": "kg",
        "province_code": "PB",
        "taxes_included": True,
        "myshopify_domain": shop.domain,
        "plan_name": "basic",
        "admin_graphql_api_id": gid("Shop", shop.id),
    }


def fulfillment_order_ref(fo: FulfillmentOrder) -> dict[str, Any]:
    """A fulfillment order as fulfillment_orders/* webhooks name it (GIDs, lower-case status)."""
    return {"id": fo.gid, "status": fo.status.lower(), "assigned_location_id": fo.location.gid}


def fulfillment_hold(h: FulfillmentHold) -> dict[str, Any]:
    return {"id": h.gid, "reason": h.reason.lower(), "reason_notes": h.reason_notes, "handle": h.handle}


def fulfillment_order_moved(moved: Any) -> dict[str, Any]:
    return {
        "original_fulfillment_order": fulfillment_order_ref(moved.original),
        "moved_fulfillment_order": fulfillment_order_ref(moved.moved),
        "destination_location_id": moved.moved.location.gid,
        "fulfillment_order_line_items_requested": [{"id": foli.gid, "quantity": q} for foli, q in moved.requested],
        "source_location": {"id": moved.source.gid},
    }


def fulfillment_order_held(fo: FulfillmentOrder, hold: FulfillmentHold, remaining: FulfillmentOrder | None) -> dict:
    return {
        "fulfillment_order": {
            **fulfillment_order_ref(fo),
            "fulfillment_holds": [fulfillment_hold(h) for h in fo.holds],
        },
        "remaining_fulfillment_order": fulfillment_order_ref(remaining) if remaining else None,
        "fulfillment_hold": fulfillment_hold(hold),
    }


def fulfillment_order_status(fo: FulfillmentOrder) -> dict[str, Any]:
    return {"fulfillment_order": fulfillment_order_ref(fo)}


def refund(r: Refund) -> dict[str, Any]:
    return {
        "id": r.id,
        "admin_graphql_api_id": r.gid,
        "order_id": r.order.id,
        "created_at": rest_time(r.created_at),
        "processed_at": rest_time(r.created_at),
        "note": r.note,
        "restock": any(rli.restock_type != "NO_RESTOCK" for rli in r.line_items),
        "refund_line_items": [
            {
                "id": rli.id,
                "line_item_id": rli.line_item.id,
                "quantity": rli.quantity,
                "restock_type": rli.restock_type.lower(),
                "location_id": rli.location.id if rli.location else None,
                "subtotal": money(rli.line_item.price * rli.quantity),
                "line_item": {
                    "id": rli.line_item.id,
                    "variant_id": rli.line_item.variant.id if rli.line_item.variant else None,
                    "sku": rli.line_item.sku,
                    "quantity": rli.line_item.quantity,
                },
            }
            for rli in r.line_items
        ],
        "transactions": [
            {
                "id": t["id"],
                "admin_graphql_api_id": gid("OrderTransaction", t["id"]),
                "order_id": r.order.id,
                "kind": "refund",
                "gateway": t["gateway"],
                "status": "success",
                "amount": money(t["amount"]),
                "currency": "PKR",
            }
            for t in r.transactions
        ],
        "order_adjustments": [],
    }
