"""bulkOperationRunQuery / bulkOperationCancel and the BulkOperation object (bulkOperation, currentBulkOperation)."""

from __future__ import annotations

import dataclasses
from typing import Any

from graphql import GraphQLResolveInfo

from sandbox.shopify.bulk import BulkOperation
from sandbox.shopify.models import iso
from sandbox.shopify.registry import Ctx, fields, resolves
from sandbox.shopify.store import parse_gid


@resolves("Mutation", "bulkOperationRunQuery")
def run_query(_: Any, info: GraphQLResolveInfo, query: str, groupObjects: bool = False) -> dict[str, Any]:
    ctx: Ctx = info.context
    with ctx.sandbox.bulk.lock:
        op, errors = ctx.sandbox.bulk.start(ctx, query, groupObjects)
        snapshot = dataclasses.replace(op) if op is not None else None  # the answer shows CREATED, as Shopify's does
    return {"bulkOperation": snapshot, "userErrors": errors}


def _find(ctx: Ctx, value: str) -> BulkOperation | None:
    parsed = parse_gid(value)
    op = ctx.sandbox.bulk.operations.get(parsed[1]) if parsed and parsed[0] == "BulkOperation" else None
    return op if op is not None and op.shop == ctx.shop.domain and op.client_id == ctx.client_id else None


@resolves("Mutation", "bulkOperationCancel")
def cancel(_: Any, info: GraphQLResolveInfo, id: str) -> dict[str, Any]:
    op = _find(info.context, id)
    if op is None:
        return {"bulkOperation": None, "userErrors": [{"field": ["id"], "message": "Bulk operation does not exist"}]}
    if op.status not in ("CREATED", "RUNNING"):
        return {
            "bulkOperation": op,
            "userErrors": [
                {"field": None, "message": f"A bulk operation cannot be canceled when it is {op.status.lower()}"}
            ],
        }
    op.cancel = True
    op.status = "CANCELING"
    return {"bulkOperation": op, "userErrors": []}


@resolves("QueryRoot", "bulkOperation")
def resolve_operation(_: Any, info: GraphQLResolveInfo, id: str) -> BulkOperation | None:
    op = _find(info.context, id)
    info.context.sandbox.bulk.polled(op)
    return op


@resolves("QueryRoot", "currentBulkOperation")
def resolve_current(_: Any, info: GraphQLResolveInfo, type: str = "QUERY") -> BulkOperation | None:
    ctx: Ctx = info.context
    op = ctx.sandbox.bulk.current(ctx.shop.domain, ctx.client_id, type or "QUERY")
    ctx.sandbox.bulk.polled(op)
    return op


fields(
    "BulkOperation",
    {
        "id": lambda op: op.gid,
        "status": lambda op: op.status,
        "type": lambda op: op.type,
        "errorCode": lambda op: op.error_code,
        "createdAt": lambda op: iso(op.created_at),
        "completedAt": lambda op: iso(op.completed_at),
        "objectCount": lambda op: str(op.object_count),
        "rootObjectCount": lambda op: str(op.root_object_count),
        "fileSize": lambda op: None if op.file_size is None else str(op.file_size),
        "url": lambda op: op.url() if op.status == "COMPLETED" else None,
        "partialDataUrl": lambda op: op.url() if op.status in ("FAILED", "CANCELED") else None,
        "query": lambda op: op.query,
    },
)
