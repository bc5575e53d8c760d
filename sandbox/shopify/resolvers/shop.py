"""The shop itself, API versions, and `node` / `nodes` lookups by GID."""

from __future__ import annotations

import hashlib
from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo

from sandbox.shopify.models import gid, iso
from sandbox.shopify.registry import fields, resolves
from sandbox.shopify.resolvers.common import node_for
from sandbox.shopify.store import ShopState

RELEASE_CANDIDATE = "2027-01"


@resolves("QueryRoot", "shop")
def resolve_shop(_: Any, info: GraphQLResolveInfo) -> ShopState:
    return info.context.shop


def _address(shop: ShopState) -> dict[str, Any]:
    first = shop.locations[0]
    return {
        "id": gid("ShopAddress", shop.id),
        "address1": first.address1,
        "address2": None,
        "city": first.city,
        "company": shop.name,
        "country": "Pakistan",
        "countryCodeV2": "PK",
        "province": first.province,
        "provinceCode": first.province_code,
        "zip": first.zip,
        "phone": first.phone,
        "formatted": [first.address1, f"{first.city} {first.province_code} {first.zip}", "Pakistan"],
    }


fields(
    "Shop",
    {
        "id": lambda s: gid("Shop", s.id),
        "name": lambda s: s.name,
        "myshopifyDomain": lambda s: s.domain,
        "email": lambda s: s.email,
        "contactEmail": lambda s: s.email,
        "currencyCode": lambda s: "PKR",
        "enabledPresentmentCurrencies": lambda s: ["PKR"],
        "ianaTimezone": lambda s: "Asia/Karachi",
        "timezoneAbbreviation": lambda s: "PKT",
        "timezoneOffset": lambda s: "+0500",
        "timezoneOffsetMinutes": lambda s: 300,
        "taxesIncluded": lambda s: True,
        "taxShipping": lambda s: False,
        "weightUnit": lambda s: "KILOGRAMS",
        "unitSystem": lambda s: "METRIC_SYSTEM",
        "createdAt": lambda s: iso(s.created_at),
        "updatedAt": lambda s: iso(s.created_at),
        "url": lambda s: f"https://{s.domain}",
        "shopOwnerName": lambda s: "Zari Owner",
        "checkoutApiSupported": lambda s: True,
        "setupRequired": lambda s: False,
        "orderNumberFormatPrefix": lambda s: "#",
        "primaryDomain": lambda s: {
            "id": gid("Domain", s.id),
            "host": s.domain,
            "url": f"https://{s.domain}",
            "sslEnabled": True,
        },
        "plan": lambda s: {
            "displayName": "Basic",
            "publicDisplayName": "Basic",
            "partnerDevelopment": False,
            "shopifyPlus": False,
        },
        "currencyFormats": lambda s: {
            "moneyFormat": "Rs.{{amount}}",
            "moneyInEmailsFormat": "Rs.{{amount}}",
            "moneyWithCurrencyFormat": "Rs.{{amount}} PKR",
            "moneyWithCurrencyInEmailsFormat": "Rs.{{amount}} PKR",
        },
        "shopAddress": _address,
        "billingAddress": _address,
    },
)


@resolves("QueryRoot", "publicApiVersions")
def resolve_versions(_: Any, info: GraphQLResolveInfo) -> list[dict[str, Any]]:
    supported = list(info.context.sandbox.config["api_versions"])
    latest = supported[-1]
    out = [{"handle": v, "displayName": f"{v} (Latest)" if v == latest else v, "supported": True} for v in supported]
    out.append(
        {"handle": RELEASE_CANDIDATE, "displayName": f"{RELEASE_CANDIDATE} (Release candidate)", "supported": False}
    )
    out.append({"handle": "unstable", "displayName": "unstable", "supported": False})
    return out


@resolves("QueryRoot", "node")
def resolve_node(_: Any, info: GraphQLResolveInfo, id: str) -> Any:
    return node_for(info.context, id)


@resolves("QueryRoot", "nodes")
def resolve_nodes(_: Any, info: GraphQLResolveInfo, ids: list[str]) -> list[Any]:
    if len(ids) > 250:
        raise GraphQLError(
            f"The input array size of {len(ids)} is greater than the maximum allowed of 250.",
            extensions={"code": "MAX_INPUT_SIZE_EXCEEDED"},
        )
    return [node_for(info.context, i) for i in ids]


@resolves("QueryRoot", "currentAppInstallation")
def resolve_current_installation(_: Any, info: GraphQLResolveInfo) -> dict[str, Any]:
    """The asking app's installation on the shop: the scopes its token holds."""
    ctx = info.context
    number = int(hashlib.sha256(f"{ctx.shop.domain}:{ctx.client_id}".encode()).hexdigest()[:10], 16)
    return {"id": gid("AppInstallation", number), "scopes": ctx.scopes, "client_id": ctx.client_id}


fields(
    "AppInstallation",
    {
        "id": lambda i: i["id"],
        "accessScopes": lambda i: [{"handle": s, "description": s.replace("_", " ")} for s in i["scopes"]],
        "launchUrl": lambda i: None,
        "uninstallUrl": lambda i: None,
    },
)
fields("AccessScope", {"handle": lambda a: a["handle"], "description": lambda a: a["description"]})
