"""`ShopifyClient`: the one way iSmartSync calls Shopify's Admin GraphQL API (sync, on httpx).

Per request: look up the operation's document, take the token from its `TokenSource` (a long job's token is renewed
on the way), reserve its estimated cost in the shop's shared bucket, POST it with explicit timeouts, adopt the bucket
Shopify reports, and either return, retry (THROTTLED, 429, 5xx, network) or raise a typed error (`errors.py`). A 401
asks the source once for a renewed token and sends the same request again. Mutations marked `@idempotent` are sent
with the caller's key inlined; the caller stores that key before calling, so a retry here or a whole job retry
re-sends the same key and Shopify applies the change once.
"""

from __future__ import annotations

import functools
import logging
import re
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol

import httpx
from redis import Redis

from ismartsync.shopify import operations
from ismartsync.shopify.bucket import (
    DEFAULT_MUTATION_ESTIMATE,
    DEFAULT_QUERY_ESTIMATE,
    Reservation,
    ThrottleStatus,
    cost_bucket,
)
from ismartsync.shopify.download import stream_jsonl
from ismartsync.shopify.errors import (
    ShopifyAuthError,
    ShopifyError,
    ShopifyQueryError,
    ShopifyUnavailable,
    ShopifyUserError,
)
from ismartsync.shopify.retry import Retry, backoff, error_codes, requested_cost, retry_after, throttle_wait
from ismartsync.shopify.version import API_VERSION

log = logging.getLogger("ismartsync.shopify")

DEFAULT_TIMEOUT = httpx.Timeout(connect=5, read=30, write=30, pool=5)


def read_timeout(seconds: float) -> httpx.Timeout:
    """A timeout waiting at most `seconds` for Shopify's answer (the setting SHOPIFY_TIMEOUT_SECONDS)."""
    return httpx.Timeout(connect=min(5.0, seconds), read=seconds, write=seconds, pool=5)


SHOP_DOMAIN = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9\-]*\.myshopify\.com$")
# Mutations without @idempotent that may still be re-sent after an answer that never came: activating an item that
# is already stocked changes nothing, and a duplicate bulk export only costs Shopify some work.
REPLAY_SAFE_MUTATIONS = frozenset({"InventoryActivate", "BulkVariantsQuery", "BulkCustomersQuery"})
MERCHANT_ATTENTION = {
    401: "Shopify refused the access token (expired, revoked or the app was uninstalled)",
    402: "the Shopify shop is frozen (unpaid bill)",
    403: "the app lacks a permission on this Shopify shop",
    404: "the Shopify shop was not found",
    423: "the Shopify shop is locked",
}


class TokenSource(Protocol):
    """Where a client takes its access token: `token()` before every request (renewed first when it is about to run
    out), `renew(rejected)` after Shopify answered 401 to `rejected` (a renewed token, or None when this kind of token
    cannot be renewed)."""

    def token(self) -> str: ...

    def renew(self, rejected: str) -> str | None: ...


class StaticToken:
    """A token that is what it is: a pasted admin token, or one just handed over by Shopify."""

    def __init__(self, value: str) -> None:
        self._value = value

    def token(self) -> str:
        return self._value

    def renew(self, rejected: str) -> str | None:
        return None


class ShopifyClient:
    """A connection to one shop's Admin GraphQL API as one app (token), safe to use from one thread at a time."""

    def __init__(
        self,
        shop_domain: str,
        access_token: str | TokenSource,
        *,
        api_base_template: str,
        redis: Redis | None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        max_attempts: int = 6,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not SHOP_DOMAIN.match(shop_domain):
            raise ValueError(f"not a myshopify.com domain: {shop_domain!r}")
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.shop_domain = shop_domain
        self._tokens: TokenSource = StaticToken(access_token) if isinstance(access_token, str) else access_token
        base = api_base_template.format(shop=shop_domain).rstrip("/")
        self.endpoint = f"{base}/admin/api/{API_VERSION}/graphql.json"
        self.max_attempts = max_attempts
        self.sleep = sleep
        self.bucket = cost_bucket(shop_domain, redis)
        self._http = httpx.Client(timeout=timeout, headers={"User-Agent": "iSmartSync"})
        self._versions_seen: set[str] = set()
        # The API version Shopify served last (its X-Shopify-API-Version header), for the connection screen.
        self.served_version: str | None = None

    @classmethod
    def from_config(
        cls, config: Mapping[str, Any], shop_domain: str, access_token: str, **options: Any
    ) -> ShopifyClient:
        """A client for `shop_domain` from the Flask config: SHOPIFY_API_BASE and REDIS_URL (the shared bucket)."""
        redis = options.pop("redis", None)
        if redis is None and config.get("REDIS_URL"):
            redis = _redis(config["REDIS_URL"])
        template = config.get("SHOPIFY_API_BASE") or "https://{shop}"
        return cls(shop_domain, access_token, api_base_template=template, redis=redis, **options)

    def __repr__(self) -> str:  # never the token
        return f"<ShopifyClient {self.shop_domain}>"

    def __enter__(self) -> ShopifyClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def query(self, operation_name: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Run the query `operations/<operation_name>.graphql` and return its `data`."""
        if operations.operation_type(operation_name) != "query":
            raise ValueError(f"{operation_name} is a mutation: use mutate()")
        body = self._execute(operation_name, operations.load(operation_name), variables, replay_safe=True)
        return body["data"]

    def mutate(
        self,
        operation_name: str,
        variables: Mapping[str, Any] | None,
        *,
        idempotency_key: str | None = None,
        payload: str,
    ) -> dict[str, Any]:
        """Run a mutation and return its payload object `data[payload]`.

        Raises ShopifyUserError when the payload's `userErrors` is not empty. A document marked `@idempotent` needs
        `idempotency_key`, stored by the caller before this call and reused on every retry of the same change.
        """
        document = operations.load(operation_name)
        if operations.operation_type(operation_name) != "mutation":
            raise ValueError(f"{operation_name} is a query: use query()")
        if operations.is_idempotent(document):
            if idempotency_key is None:
                raise ValueError(f"{operation_name} is @idempotent: pass the stored idempotency_key")
            document = operations.with_idempotency_key(document, idempotency_key)
        elif idempotency_key is not None:
            raise ValueError(f"{operation_name} has no @idempotent directive to carry the key")
        replay_safe = idempotency_key is not None or operation_name in REPLAY_SAFE_MUTATIONS
        body = self._execute(operation_name, document, variables, replay_safe=replay_safe, payload=payload)
        result = (body.get("data") or {}).get(payload)
        if not isinstance(result, dict):
            raise ShopifyQueryError(f"Shopify's answer to {operation_name} has no {payload}", operation=operation_name)
        if result.get("userErrors"):
            raise ShopifyUserError(result["userErrors"], operation=operation_name)
        return result

    def download_jsonl(self, url: str) -> Iterator[dict[str, Any]]:
        """Stream a bulk operation's JSONL result object by object, without the token (the URL is signed)."""
        return stream_jsonl(self._http, url, max_attempts=self.max_attempts, sleep=self.sleep)

    def _execute(
        self,
        name: str,
        document: str,
        variables: Mapping[str, Any] | None,
        *,
        replay_safe: bool,
        payload: str | None = None,
    ) -> dict[str, Any]:
        """POST the document until it succeeds, fails for good, or the attempts run out."""
        request = {"query": document, "variables": dict(variables or {}), "operationName": name}
        mutation = operations.operation_type(name) == "mutation"
        default_cost = DEFAULT_MUTATION_ESTIMATE if mutation else DEFAULT_QUERY_ESTIMATE
        outcome = Retry(0, "not tried")
        attempt, renewed = 0, False
        while attempt < self.max_attempts:
            attempt += 1
            token = self._tokens.token()
            reservation = self.bucket.acquire(self.bucket.estimate(name, default_cost))
            started = time.monotonic()
            try:
                response = self._http.post(self.endpoint, json=request, headers={"X-Shopify-Access-Token": token})
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                self.bucket.settle(reservation, None, refund=True)  # never reached Shopify
                outcome = Retry(backoff(attempt), f"could not connect to Shopify ({type(exc).__name__})")
            except httpx.TransportError as exc:
                self.bucket.settle(reservation, None)
                outcome = Retry(backoff(attempt), f"no answer from Shopify ({type(exc).__name__})")
                if not replay_safe:  # it may have been applied, and nothing makes a second one harmless
                    raise ShopifyUnavailable(outcome.reason, attempts=attempt, operation=name) from exc
            else:
                try:
                    result = self._answer(name, response, attempt, started, reservation, replay_safe, payload)
                except ShopifyAuthError as exc:
                    # A refused token ran nothing: renew it once and send the same request again at once.
                    if exc.status != 401 or renewed or self._tokens.renew(token) is None:
                        raise
                    renewed, attempt = True, attempt - 1
                    log.info(
                        "Shopify %s: the access token was refused; sending again with a renewed one",
                        name,
                        extra={"fields": {"shop": self.shop_domain, "operation": name}},
                    )
                    continue
                if not isinstance(result, Retry):
                    return result
                outcome = result
            if attempt < self.max_attempts:
                log.info(
                    "Shopify %s: %s; retrying in %.2f s",
                    name,
                    outcome.reason,
                    outcome.delay,
                    extra={"fields": {"shop": self.shop_domain, "operation": name, "attempt": attempt}},
                )
                self.sleep(outcome.delay)
        raise ShopifyUnavailable(
            f"{outcome.reason} after {self.max_attempts} attempts", attempts=self.max_attempts, operation=name
        )

    def _answer(
        self,
        name: str,
        response: httpx.Response,
        attempt: int,
        started: float,
        reservation: Reservation,
        replay_safe: bool,
        payload: str | None,
    ) -> dict[str, Any] | Retry:
        """What one HTTP answer means: the body to return, a Retry, or a raised error."""
        status, request_id = response.status_code, response.headers.get("X-Request-Id")
        try:
            body = response.json()
        except ValueError:
            body = None
        throttle = ThrottleStatus.from_body(body)
        self.bucket.settle(reservation, throttle, refund=status == 429 or status >= 500)
        if (cost := requested_cost(body)) is not None:
            self.bucket.remember(name, cost)
        self._log_request(name, response, attempt, started, body)
        context = {"status": status, "request_id": request_id, "operation": name}
        if status in MERCHANT_ATTENTION:
            raise ShopifyAuthError(f"{MERCHANT_ATTENTION[status]} (HTTP {status})", **context)
        if status == 429:
            return Retry(retry_after(response.headers.get("Retry-After")) or backoff(attempt), "HTTP 429")
        if status >= 500:
            # 503 is Shopify's "Unavailable Shop": nothing ran. Other 5xx may come after the change was applied.
            if not replay_safe and status != 503:
                raise ShopifyUnavailable(f"HTTP {status} from Shopify", attempts=attempt, **context)
            return Retry(backoff(attempt), f"HTTP {status} from Shopify")
        if status != 200 or not isinstance(body, dict):
            if status == 200:  # a proxy's page instead of JSON: transient
                return Retry(backoff(attempt), "an answer that is not JSON")
            raise ShopifyQueryError(f"HTTP {status} from Shopify: {response.text[:200]}", **context)
        return self._graphql_answer(body, attempt, payload, context)

    def _graphql_answer(
        self, body: dict[str, Any], attempt: int, payload: str | None, context: dict[str, Any]
    ) -> dict[str, Any] | Retry:
        codes = error_codes(body)
        if "THROTTLED" in codes:
            return Retry(throttle_wait(body), "THROTTLED")
        if "ACCESS_DENIED" in codes:
            raise ShopifyAuthError(_first_message(body, "access denied"), **context)
        if body.get("errors"):
            errors = body["errors"] if isinstance(body["errors"], list) else [{"message": str(body["errors"])}]
            raise ShopifyQueryError(_first_message(body, "GraphQL error"), errors=errors, **context)
        if payload is not None:
            user_codes = [e.get("code") for e in ((body.get("data") or {}).get(payload) or {}).get("userErrors") or ()]
            if "IDEMPOTENCY_CONCURRENT_REQUEST" in user_codes:  # the first send of this key is still running
                return Retry(backoff(attempt), "IDEMPOTENCY_CONCURRENT_REQUEST")
        if not isinstance(body.get("data"), dict):
            raise ShopifyQueryError("Shopify answered without data", **context)
        return body

    def _log_request(self, name: str, response: httpx.Response, attempt: int, started: float, body: Any) -> None:
        served = response.headers.get("X-Shopify-API-Version")
        if served:
            self.served_version = served
        fields = {
            "shop": self.shop_domain,
            "operation": name,
            "attempt": attempt,
            "status": response.status_code,
            "duration_ms": round((time.monotonic() - started) * 1000, 1),
            "request_id": response.headers.get("X-Request-Id"),
            "requested_cost": requested_cost(body),
            "actual_cost": _actual_cost(body),
            "api_version": served,
        }
        log.debug("Shopify %s answered %s", name, response.status_code, extra={"fields": fields})
        if served and served != API_VERSION and served not in self._versions_seen:
            self._versions_seen.add(served)
            log.warning(
                "Shopify served API version %s instead of %s",
                served,
                API_VERSION,
                extra={"fields": {**fields, "requested_version": API_VERSION, "served_version": served}},
            )


def _first_message(body: dict[str, Any], default: str) -> str:
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return str(errors[0].get("message") or default)
    return str(errors or default)


def _actual_cost(body: Any) -> int | None:
    try:
        return int(body["extensions"]["cost"]["actualQueryCost"])
    except (KeyError, TypeError, ValueError):
        return None


@functools.cache
def _redis(url: str) -> Redis:
    """One connection pool per Redis URL for every client of the process."""
    return Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)


__all__ = ["DEFAULT_TIMEOUT", "ShopifyClient", "ShopifyError", "StaticToken", "TokenSource", "read_timeout"]
