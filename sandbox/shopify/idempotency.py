"""`@idempotent(key:)`: the same key with the same arguments answers the first result and applies nothing again."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo
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

    def describe(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "shop": self.shop,
            "client_id": self.client_id,
            "mutation": self.mutation,
            "applied": self.applied,
            "replays": self.replays,
            "created_at": self.created_at,
        }


def directive_key(info: GraphQLResolveInfo) -> str | None:
    directive = info.schema.get_directive("idempotent")
    if directive is None:
        return None
    values = get_directive_values(directive, info.field_nodes[0], info.variable_values)
    return None if values is None else str(values.get("key"))


def _failure(code: str, message: str) -> dict[str, Any]:
    return {"userErrors": [{"code": code, "field": None, "message": message}]}


def idempotent(required: bool) -> Callable[[Callable[..., dict[str, Any]]], Callable[..., dict[str, Any]]]:
    """Wrap a mutation resolver; `required` mutations reject a call without the directive from 2026-04 on."""

    def wrap(fn: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        @functools.wraps(fn)
        def resolve(obj: Any, info: GraphQLResolveInfo, **args: Any) -> dict[str, Any]:
            ctx: Ctx = info.context
            name = info.field_name
            key = directive_key(info)
            if key is None:
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
            if record is not None:
                if record.in_flight:
                    return _failure(
                        "IDEMPOTENCY_CONCURRENT_REQUEST", "This request is currently in progress, please try again."
                    )
                if record.fingerprint != fingerprint:
                    return _failure(
                        "IDEMPOTENCY_KEY_PARAMETER_MISMATCH",
                        "The same idempotency key cannot be used with different operation parameters.",
                    )
                record.replays += 1
                return record.payload
            record = IdempotencyRecord(key, ctx.shop.domain, ctx.client_id, name, fingerprint, ctx.now())
            ctx.sandbox.idempotency[slot] = record
            try:
                payload = fn(obj, info, **args)
            except BaseException:
                del ctx.sandbox.idempotency[slot]
                raise
            record.payload, record.applied, record.in_flight = payload, not payload.get("userErrors"), False
            return payload

        return resolve

    return wrap
