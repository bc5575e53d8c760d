"""`@idempotent(key:)` with the answers Shopify documents for inventory mutations (their UserErrorCode enums):

- the same key with the same arguments answers the first result and applies nothing again;
- while the first request with a key is still running: IDEMPOTENCY_CONCURRENT_REQUEST ("please try again");
- the same key with other arguments: IDEMPOTENCY_KEY_PARAMETER_MISMATCH;
- the same key after an attempt that failed (it answered userErrors, or failed inside Shopify): nothing is applied and
  the answer is IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED ("retry with a new idempotency key").

Strict where Shopify's runtime is unverified: the key must be a literal string in the document (a `$variable` passes
schema validation, but whether Shopify accepts one is unknown), and it may not be blank.

Faults drive the answers a single client cannot cause by itself: `idempotency_in_progress` (as if another request
with the key were still running) and `attempt_failed` (the mutation fails inside Shopify after its key was recorded:
HTTP 500, nothing applied, the key remembered as failed)."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo, VariableNode
from graphql.execution.values import get_directive_values

from sandbox.shopify.registry import Ctx

REQUIRED_FROM = "2026-04"


@dataclass(eq=False)
class IdempotencyRecord:
    key: str
    shop: str
    client_id: str
    mutation: str
    fingerprint: str
    created_at: float
    payload: Any = None
    applied: bool = False
    replays: int = 0
    in_flight: bool = True
    failed: bool = False

    def describe(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "shop": self.shop,
            "client_id": self.client_id,
            "mutation": self.mutation,
            "applied": self.applied,
            "failed": self.failed,
            "replays": self.replays,
            "created_at": self.created_at,
        }


def directive_key(info: GraphQLResolveInfo) -> str | None:
    directive = info.schema.get_directive("idempotent")
    if directive is None:
        return None
    for node in info.field_nodes[0].directives or ():
        if node.name.value == "idempotent" and any(isinstance(a.value, VariableNode) for a in node.arguments):
            raise GraphQLError(
                "The idempotency key must be a literal string in the document, not a variable.",
                extensions={"code": "BAD_REQUEST"},
            )
    values = get_directive_values(directive, info.field_nodes[0], info.variable_values)
    return None if values is None else str(values.get("key"))


def _failure(code: str, message: str) -> dict[str, Any]:
    return {"userErrors": [{"code": code, "field": None, "message": message}]}


def uncoded(errors_field: str = "userErrors") -> Callable[[dict[str, Any]], dict[str, Any]]:
    """For mutations whose userError code enum has no IDEMPOTENCY_* values: the message alone, in `errors_field`
    (and in the plain `userErrors` too when that is another field)."""

    def shape(payload: dict[str, Any]) -> dict[str, Any]:
        errors = [{"field": e["field"], "message": e["message"]} for e in payload["userErrors"]]
        return {"userErrors": errors, errors_field: errors}

    return shape


def idempotent(
    required: bool, shape: Callable[[dict[str, Any]], dict[str, Any]] | None = None
) -> Callable[[Callable[..., dict[str, Any]]], Callable[..., dict[str, Any]]]:
    """Wrap a mutation resolver; `required` mutations reject a call without the directive from 2026-04 on; `shape`
    fits the key's own refusals to the mutation's payload (see `uncoded`)."""

    def wrap(fn: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        inner = _keyed(fn, required)
        if shape is None:
            return inner

        @functools.wraps(fn)
        def shaped(obj: Any, info: GraphQLResolveInfo, **args: Any) -> dict[str, Any]:
            payload = inner(obj, info, **args)
            if set(payload) == {"userErrors"} and payload["userErrors"]:
                return shape(payload)
            return payload

        return shaped

    return wrap


def _keyed(fn: Callable[..., dict[str, Any]], required: bool) -> Callable[..., dict[str, Any]]:
    @functools.wraps(fn)
    def resolve(obj: Any, info: GraphQLResolveInfo, **args: Any) -> dict[str, Any]:
        ctx: Ctx = info.context
        name = info.field_name
        key = directive_key(info)
        if key is None:
            if ctx.fault is not None and ctx.fault.mode == "attempt_failed":
                return {"userErrors": []}  # failed inside Shopify, nothing applied: the view answers HTTP 500
            if required and ctx.at_least(REQUIRED_FROM):
                raise GraphQLError(
                    f"The @idempotent directive is required for {name} from API version {REQUIRED_FROM}: "
                    f'add @idempotent(key: "<unique key>") to the mutation field.',
                    extensions={"code": "IDEMPOTENCY_KEY_REQUIRED"},
                )
            return fn(obj, info, **args)
        if not key.strip():
            raise GraphQLError("The idempotency key must not be blank.", extensions={"code": "BAD_REQUEST"})
        fingerprint = json.dumps([name, args], sort_keys=True, default=str)
        slot = (ctx.shop.domain, ctx.client_id, key)
        record = ctx.sandbox.idempotency.get(slot)
        fault = ctx.fault.mode if ctx.fault is not None else None
        if (record is not None and record.in_flight) or fault == "idempotency_in_progress":
            return _failure(
                "IDEMPOTENCY_CONCURRENT_REQUEST", "This request is currently in progress, please try again."
            )
        if record is not None:
            if record.fingerprint != fingerprint:
                return _failure(
                    "IDEMPOTENCY_KEY_PARAMETER_MISMATCH",
                    "The same idempotency key cannot be used with different operation parameters.",
                )
            if record.failed:
                return _failure(
                    "IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED",
                    "A previous request with this idempotency key failed. Retry with a new idempotency key.",
                )
            record.replays += 1
            return record.payload
        record = IdempotencyRecord(key, ctx.shop.domain, ctx.client_id, name, fingerprint, ctx.now())
        ctx.sandbox.idempotency[slot] = record
        if fault == "attempt_failed":  # recorded, then failed inside Shopify: the view answers HTTP 500
            record.in_flight, record.failed = False, True
            return {"userErrors": []}
        try:
            payload = fn(obj, info, **args)
        except BaseException:
            record.in_flight, record.failed = False, True
            raise
        record.payload, record.in_flight = payload, False
        record.applied = not payload.get("userErrors") and not payload.get("orderCancelUserErrors")
        record.failed = not record.applied
        return payload

    return resolve
