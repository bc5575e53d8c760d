"""The Shopify client against the sandbox: answers, typed errors, retries, idempotent writes, version drift."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import pytest

from ismartsync.shopify import client as client_module
from ismartsync.shopify.client import ShopifyClient
from ismartsync.shopify.errors import ShopifyAuthError, ShopifyQueryError, ShopifyUnavailable, ShopifyUserError
from ismartsync.shopify.version import API_VERSION
from tests.sandbox_fixtures import SHOP, TOKEN, RunningSandbox, Sleeps, requests_log


def _stocked_pair(sandbox: RunningSandbox, *, stocked: bool = True) -> tuple[Any, Any]:
    """A tracked variant and an active location where it is (or is not) stocked."""
    state = sandbox.sandbox.shop(SHOP)
    for location in (loc for loc in state.locations if loc.is_active):
        for variant in state.variants:
            if variant.tracked and state.stock.is_active(variant.idx, location.idx) == stocked:
                return variant, location
    raise AssertionError("the seed has no such pair")


def _adjust(variant: Any, location: Any, delta: int) -> dict[str, Any]:
    change = {
        "inventoryItemId": variant.item_gid,
        "locationId": location.gid,
        "delta": delta,
        "changeFromQuantity": None,
    }
    return {
        "input": {
            "name": "available",
            "reason": "correction",
            "referenceDocumentUri": "gid://ismartsync/Sale/1",
            "changes": [change],
        }
    }


def test_queries_return_the_shops_data(shopify_sandbox: RunningSandbox, make_client) -> None:
    client: ShopifyClient = make_client(shopify_sandbox)

    shop = client.query("Shop")["shop"]
    locations = client.query("Locations", {"includeInactive": True})["locations"]["nodes"]
    first = client.query("ProductVariantsPage")["productVariants"]
    second = client.query("ProductVariantsPage", {"after": first["pageInfo"]["endCursor"]})["productVariants"]
    items = [v["inventoryItem"]["id"] for v in first["nodes"][:5]]
    levels = client.query("VariantInventoryLevels", {"itemIds": items})["nodes"]
    customers = client.query("CustomersPage", {"first": 5})["customers"]["nodes"]

    assert shop == {
        "id": shop["id"],
        "name": "Zari Demo",
        "myshopifyDomain": SHOP,
        "currencyCode": "PKR",
        "ianaTimezone": "Asia/Karachi",
    }
    assert any(not loc["isActive"] for loc in locations) and len(locations) == 4
    assert len(first["nodes"]) + len(second["nodes"]) == 300 and not second["pageInfo"]["hasNextPage"]
    assert first["nodes"][0]["product"]["status"] == "ACTIVE"
    assert [level["id"] for level in levels] == items
    assert {q["name"] for q in levels[0]["inventoryLevels"]["nodes"][0]["quantities"]} == {"available", "on_hand"}
    assert len(customers) == 5 and "emailAddress" in customers[0]["defaultEmailAddress"]


def test_each_request_logs_a_debug_line_without_the_token(
    shopify_sandbox: RunningSandbox, make_client, shopify_log
) -> None:
    make_client(shopify_sandbox).query("Shop")

    (record,) = [r for r in shopify_log if r.levelname == "DEBUG"]
    fields = record.fields  # type: ignore[attr-defined]
    assert fields["operation"] == "Shop" and fields["attempt"] == 1 and fields["status"] == 200
    assert fields["requested_cost"] == 1 and fields["request_id"] and fields["duration_ms"] >= 0
    assert TOKEN not in repr(vars(record))


def test_5xx_is_retried_until_it_succeeds(shopify_sandbox: RunningSandbox, make_client) -> None:
    shopify_sandbox.control("POST", "/faults", {"mode": "503", "count": 2})
    sleeps = Sleeps()

    shop = make_client(shopify_sandbox, sleep=sleeps).query("Shop")["shop"]

    assert shop["myshopifyDomain"] == SHOP
    assert [e["fault"] for e in requests_log(shopify_sandbox)] == ["503", "503", None]
    assert len(sleeps) == 2 and all(0 <= s <= 2 for s in sleeps)  # full jitter under 1 s, then under 2 s


def test_429_waits_as_long_as_retry_after_says(shopify_sandbox: RunningSandbox, make_client) -> None:
    shopify_sandbox.control("POST", "/faults", {"mode": "429"})
    sleeps = Sleeps()

    make_client(shopify_sandbox, sleep=sleeps).query("Shop")

    assert sleeps == [2.0]  # the sandbox, like Shopify, says "Retry-After: 2.0"
    assert [e["status"] for e in requests_log(shopify_sandbox)] == [429, 200]


def test_persistent_5xx_gives_up_with_unavailable(shopify_sandbox: RunningSandbox, make_client) -> None:
    shopify_sandbox.control("POST", "/faults", {"mode": "502", "count": 10})

    with pytest.raises(ShopifyUnavailable) as failure:
        make_client(shopify_sandbox, sleep=Sleeps(), max_attempts=4).query("Shop")

    assert failure.value.attempts == 4 and "HTTP 502" in str(failure.value)
    assert len(requests_log(shopify_sandbox)) == 4


def test_throttled_is_retried_and_never_reaches_the_caller(shopify_sandbox: RunningSandbox, make_client) -> None:
    shopify_sandbox.control("POST", "/faults", {"mode": "throttled", "count": 3})
    sleeps = Sleeps()

    make_client(shopify_sandbox, sleep=sleeps).query("Shop")

    assert [e.get("throttled", False) for e in requests_log(shopify_sandbox)] == [True, True, True, False]
    assert len(sleeps) == 3


def test_throttled_through_every_attempt_is_unavailable(shopify_sandbox: RunningSandbox, make_client) -> None:
    shopify_sandbox.control("POST", "/faults", {"mode": "throttled", "count": 10})

    with pytest.raises(ShopifyUnavailable, match="THROTTLED after 3 attempts"):
        make_client(shopify_sandbox, sleep=Sleeps(), max_attempts=3).query("Shop")


def test_bad_token_is_an_auth_error_and_not_retried(shopify_sandbox: RunningSandbox, make_client) -> None:
    with pytest.raises(ShopifyAuthError) as failure:
        make_client(shopify_sandbox, token="shpat_revoked").query("Shop")

    assert failure.value.status == 401
    assert [r["status"] for r in requests_log(shopify_sandbox)] == [401]  # refused before any GraphQL ran; asked once
    assert "shpat_revoked" not in str(failure.value)


def test_missing_scope_is_an_auth_error(shopify_sandbox: RunningSandbox, make_client) -> None:
    narrow = shopify_sandbox.control("POST", "/tokens", {"shop": SHOP, "scope": "read_products"})

    with pytest.raises(ShopifyAuthError, match="read_locations"):
        make_client(shopify_sandbox, token=narrow["access_token"]).query("Locations")


def test_a_query_over_the_cost_limit_is_a_query_error(shopify_sandbox: RunningSandbox, make_client) -> None:
    with pytest.raises(ShopifyQueryError) as failure:
        make_client(shopify_sandbox).query("ProductVariantsPage", {"first": 250})

    assert failure.value.codes == ["MAX_COST_EXCEEDED"]


def test_user_errors_raise_with_their_codes(shopify_sandbox: RunningSandbox, make_client) -> None:
    client = make_client(shopify_sandbox)
    variant, elsewhere = _stocked_pair(shopify_sandbox, stocked=False)
    stocked, location = _stocked_pair(shopify_sandbox)
    stale = {
        "input": {
            "name": "available",
            "reason": "cycle_count_available",
            "referenceDocumentUri": "gid://ismartsync/StockCount/1",
            "quantities": [
                {
                    "inventoryItemId": stocked.item_gid,
                    "locationId": location.gid,
                    "quantity": 5,
                    "changeFromQuantity": 987654,
                }
            ],
        }
    }

    with pytest.raises(ShopifyUserError) as not_stocked:
        client.mutate(
            "InventoryAdjust",
            _adjust(variant, elsewhere, -1),
            idempotency_key=str(uuid.uuid4()),
            payload="inventoryAdjustQuantities",
        )
    with pytest.raises(ShopifyUserError) as stale_count:
        client.mutate("InventorySet", stale, idempotency_key=str(uuid.uuid4()), payload="inventorySetQuantities")

    assert not_stocked.value.codes == ["ITEM_NOT_STOCKED_AT_LOCATION"]
    assert stale_count.value.codes == ["CHANGE_FROM_QUANTITY_STALE"]
    assert not_stocked.value.errors[0]["message"]


def test_activating_then_adjusting_returns_the_payload(shopify_sandbox: RunningSandbox, make_client) -> None:
    client = make_client(shopify_sandbox)
    variant, location = _stocked_pair(shopify_sandbox, stocked=False)
    activate = {"inventoryItemId": variant.item_gid, "locationId": location.gid}

    level = client.mutate("InventoryActivate", activate, payload="inventoryActivate")["inventoryLevel"]
    group = client.mutate(
        "InventoryAdjust", _adjust(variant, location, 3), idempotency_key="k-1", payload="inventoryAdjustQuantities"
    )["inventoryAdjustmentGroup"]

    assert level["location"]["id"] == location.gid
    available = next(c for c in group["changes"] if c["name"] == "available")
    assert available["delta"] == 3 and available["item"]["id"] == variant.item_gid


def test_idempotent_mutation_needs_its_key(shopify_sandbox: RunningSandbox, make_client) -> None:
    variant, location = _stocked_pair(shopify_sandbox)
    client = make_client(shopify_sandbox)

    with pytest.raises(ValueError, match="idempotency_key"):
        client.mutate("InventoryAdjust", _adjust(variant, location, -1), payload="inventoryAdjustQuantities")
    with pytest.raises(ValueError, match="no @idempotent"):
        client.mutate("InventoryActivate", {}, idempotency_key="k", payload="inventoryActivate")

    assert requests_log(shopify_sandbox) == []


def test_mutation_timing_out_after_it_applied_is_retried_with_its_key_and_applied_once(
    shopify_sandbox: RunningSandbox, make_client
) -> None:
    state = shopify_sandbox.sandbox.shop(SHOP)
    variant, location = _stocked_pair(shopify_sandbox)
    before = state.stock.get(variant.idx, location.idx, "on_hand")
    shopify_sandbox.control(
        "POST",
        "/faults",
        {"mode": "timeout", "apply": True, "delay_ms": 2000, "operation": "inventoryAdjustQuantities"},
    )
    client = make_client(shopify_sandbox, timeout=httpx.Timeout(connect=2, read=0.5, write=2, pool=2), sleep=Sleeps())
    key = str(uuid.uuid4())

    result = client.mutate(
        "InventoryAdjust", _adjust(variant, location, -1), idempotency_key=key, payload="inventoryAdjustQuantities"
    )

    assert result["userErrors"] == []
    assert state.stock.get(variant.idx, location.idx, "on_hand") == before - 1
    (record,) = [r for r in shopify_sandbox.control("GET", f"/idempotency?shop={SHOP}")["keys"] if r["key"] == key]
    assert record["applied"] is True and record["replays"] == 1
    time.sleep(2)  # the sandbox logs the first request once its stalled answer is finally sent
    assert sorted(e["idempotency_keys"] == [key] for e in requests_log(shopify_sandbox)) == [True, True]


def test_a_mutation_unsafe_to_replay_is_not_resent_after_a_timeout(
    shopify_sandbox: RunningSandbox, make_client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client_module, "REPLAY_SAFE_MUTATIONS", frozenset())  # as if activating were not idempotent
    variant, location = _stocked_pair(shopify_sandbox, stocked=False)
    shopify_sandbox.control(
        "POST", "/faults", {"mode": "timeout", "apply": True, "delay_ms": 1000, "operation": "inventoryActivate"}
    )
    client = make_client(shopify_sandbox, timeout=httpx.Timeout(connect=2, read=0.3, write=2, pool=2))
    activate = {"inventoryItemId": variant.item_gid, "locationId": location.gid}

    with pytest.raises(ShopifyUnavailable, match="ReadTimeout"):
        client.mutate("InventoryActivate", activate, payload="inventoryActivate")

    time.sleep(1)  # the sandbox logs the stalled request once it answers
    assert len(requests_log(shopify_sandbox)) == 1


def test_another_served_version_is_logged_once(make_shopify_sandbox, make_client, shopify_log) -> None:
    sandbox = make_shopify_sandbox(api_versions=["2026-10"])
    client = make_client(sandbox)

    client.query("Shop")
    client.query("Shop")

    (warning,) = [r for r in shopify_log if r.levelname == "WARNING"]
    assert warning.fields["served_version"] == "2026-10"  # type: ignore[attr-defined]
    assert warning.fields["requested_version"] == API_VERSION  # type: ignore[attr-defined]
    assert [e["requested_version"] for e in requests_log(sandbox)] == [API_VERSION, API_VERSION]


def test_config_builds_a_client_for_the_sandbox(shopify_sandbox: RunningSandbox) -> None:
    config = {"SHOPIFY_API_BASE": f"{shopify_sandbox.url}/shops/{{shop}}", "REDIS_URL": None}

    with ShopifyClient.from_config(config, SHOP, TOKEN) as client:
        assert client.endpoint == f"{shopify_sandbox.url}/shops/{SHOP}/admin/api/{API_VERSION}/graphql.json"
        assert client.query("Shop")["shop"]["name"] == "Zari Demo"
    assert TOKEN not in repr(client)


def test_a_foreign_domain_is_refused_before_any_request() -> None:
    with pytest.raises(ValueError, match=r"myshopify\.com"):
        ShopifyClient("evil.example.com/x?", TOKEN, api_base_template="https://{shop}", redis=None)


class SandboxTokens:
    """A token source handing out sandbox tokens: `given` the one `token()` returns, renewals made through the
    sandbox's control API (as a shop would issue them), each asked-for renewal recorded."""

    def __init__(self, sandbox: RunningSandbox, given: str, *, renewable: bool = True) -> None:
        self.sandbox, self.given, self.renewable = sandbox, given, renewable
        self.taken = 0
        self.renewals: list[str] = []

    def token(self) -> str:
        self.taken += 1
        return self.given

    def renew(self, rejected: str) -> str | None:
        self.renewals.append(rejected)
        if not self.renewable:
            return None
        self.given = self.sandbox.control("POST", "/tokens", {"shop": SHOP})["access_token"]
        return self.given


def test_the_token_is_taken_before_every_request(shopify_sandbox: RunningSandbox, make_client) -> None:
    source = SandboxTokens(shopify_sandbox, TOKEN)
    client = make_client(shopify_sandbox, token=source)

    client.query("Shop")
    client.query("Shop")

    assert source.taken == 2 and source.renewals == []


def test_a_401_renews_the_token_once_and_sends_the_same_request_again(
    shopify_sandbox: RunningSandbox, make_client
) -> None:
    variant, location = _stocked_pair(shopify_sandbox)
    before = shopify_sandbox.sandbox.shop(SHOP).stock.get(variant.idx, location.idx, "on_hand")
    source = SandboxTokens(shopify_sandbox, "shpat_expired")
    client = make_client(shopify_sandbox, token=source, max_attempts=1)  # the resend is not one of the attempts
    key = uuid.uuid4().hex

    client.mutate(
        "InventoryAdjust", _adjust(variant, location, -1), idempotency_key=key, payload="inventoryAdjustQuantities"
    )

    assert source.renewals == ["shpat_expired"]
    assert [r["status"] for r in requests_log(shopify_sandbox)] == [401, 200]
    assert requests_log(shopify_sandbox)[1]["idempotency_keys"] == [key]
    assert shopify_sandbox.sandbox.shop(SHOP).stock.get(variant.idx, location.idx, "on_hand") == before - 1


def test_a_renewed_token_refused_again_is_an_auth_error(shopify_sandbox: RunningSandbox, make_client) -> None:
    class RefusedAgain(SandboxTokens):
        def renew(self, rejected: str) -> str | None:
            self.renewals.append(rejected)
            return "shpat_also_refused"

    source = RefusedAgain(shopify_sandbox, "shpat_expired")
    client = make_client(shopify_sandbox, token=source)

    with pytest.raises(ShopifyAuthError, match="HTTP 401"):
        client.query("Shop")

    assert source.renewals == ["shpat_expired"]  # once: a second 401 is not renewed again
    assert [r["status"] for r in requests_log(shopify_sandbox)] == [401, 401]


def test_a_token_that_cannot_be_renewed_is_not_sent_again(shopify_sandbox: RunningSandbox, make_client) -> None:
    source = SandboxTokens(shopify_sandbox, "shpat_made_up", renewable=False)
    client = make_client(shopify_sandbox, token=source)

    with pytest.raises(ShopifyAuthError, match="HTTP 401"):
        client.query("Shop")

    assert source.renewals == ["shpat_made_up"]
    assert [r["status"] for r in requests_log(shopify_sandbox)] == [401]
