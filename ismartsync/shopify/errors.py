"""What can go wrong talking to Shopify, as types a job can act on: retry later, ask the merchant, or fix the input.

- ShopifyAuthError: 401, 402, 403, 404, 423 or ACCESS_DENIED. Stop; the merchant must reconnect, grant a scope or
  settle the shop's account.
- ShopifyUnavailable: network errors, timeouts, 5xx, 429 or THROTTLED through every attempt. Retry the job later.
- ShopifyUserError: the mutation answered `userErrors`. Act on the codes (re-read when stale, activate, skip).
- ShopifyQueryError: GraphQL `errors` other than THROTTLED, other 4xx. A bug or an unsupported input: surface it.
"""

from __future__ import annotations

from typing import Any


class ShopifyError(Exception):
    """Base class: every failure of a Shopify call. Carries the HTTP status and Shopify's request id when known."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        request_id: str | None = None,
        operation: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.request_id = request_id
        self.operation = operation


class ShopifyAuthError(ShopifyError):
    """Shopify refused the token or the shop needs the merchant's attention; retrying will not help."""


class ShopifyUnavailable(ShopifyError):
    """Shopify could not be reached or kept refusing for load (5xx, 429, THROTTLED) through every attempt."""

    def __init__(self, message: str, *, attempts: int = 0, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.attempts = attempts


class ShopifyQueryError(ShopifyError):
    """Shopify rejected the request itself: GraphQL `errors` such as MAX_COST_EXCEEDED or an invalid variable."""

    def __init__(self, message: str, *, errors: list[dict[str, Any]] | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.errors = errors or []

    @property
    def codes(self) -> list[str]:
        return [str((e.get("extensions") or {}).get("code")) for e in self.errors if isinstance(e, dict)]


class ShopifyUserError(ShopifyError):
    """A mutation ran and said no: `errors` are Shopify's `userErrors` as `{code, field, message}`."""

    def __init__(self, errors: list[dict[str, Any]], **kwargs: Any) -> None:
        self.errors = [
            {"code": e.get("code"), "field": e.get("field"), "message": e.get("message") or ""} for e in errors
        ]
        summary = "; ".join(f"{e['code'] or 'ERROR'}: {e['message']}" for e in self.errors)
        super().__init__(f"Shopify refused the change: {summary}", **kwargs)

    @property
    def codes(self) -> list[str | None]:
        return [e["code"] for e in self.errors]
