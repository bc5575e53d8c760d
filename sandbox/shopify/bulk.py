"""Bulk operations: run a bulk query in a background thread to a JSONL file served over HTTP, with Shopify's
statuses (CREATED → RUNNING → COMPLETED / FAILED / CANCELED), limits and the `bulk_operations/finish` webhook.

The `bulk` setting makes them slow, as a large shop's export is: an operation stays RUNNING for `running_seconds` of
sandbox time and `running_polls` status reads, and each status read of a running operation moves the sandbox clock
on by `seconds_per_poll` (an hour-long export in fast-forward: tokens expire during the wait)."""

from __future__ import annotations

import itertools
import json
import os
import secrets
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError

from sandbox.shopify.models import gid, rest_time

if TYPE_CHECKING:
    from sandbox.shopify.core import Sandbox
    from sandbox.shopify.registry import Ctx

CHUNK = 2000
MAX_RUNNING = 5
ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


@dataclass(eq=False)
class BulkOperation:
    typename = "BulkOperation"
    id: int
    shop: str
    client_id: str
    query: str
    created_at: float
    group_objects: bool
    base_url: str
    status: str = "CREATED"
    type: str = "QUERY"
    error_code: str | None = None
    completed_at: float | None = None
    object_count: int = 0
    root_object_count: int = 0
    file_size: int | None = None
    path: str | None = None
    token: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    cancel: bool = False
    slow: dict[str, float] = field(default_factory=dict)  # the `bulk` setting when it started
    running_since: float | None = None
    polls: int = 0

    @property
    def gid(self) -> str:
        return gid("BulkOperation", self.id)

    def url(self) -> str | None:
        if self.path is None or self.status not in ("COMPLETED", "FAILED", "CANCELED") or not self.object_count:
            return None
        return f"{self.base_url}/sandbox/bulk/{self.id}-{self.token}.jsonl"


class BulkRunner:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.operations: dict[int, BulkOperation] = {}
        self.threads: list[threading.Thread] = []
        self.lock = threading.Lock()

    def start(self, ctx: Ctx, query: str, group_objects: bool) -> tuple[BulkOperation | None, list[dict[str, Any]]]:
        """Check the query and start it; (operation, []) or (None, user errors)."""
        from sandbox.shopify.bulk_query import BulkQueryError, plan
        from sandbox.shopify.registry import LISTINGS
        from sandbox.shopify.schema import load_schema

        running = [
            op
            for op in self.operations.values()
            if op.shop == ctx.shop.domain and op.client_id == ctx.client_id and op.status in ("CREATED", "RUNNING")
        ]
        limit = MAX_RUNNING if ctx.at_least("2026-01") else 1
        if len(running) >= limit:
            code = "LIMIT_REACHED" if limit > 1 else "OPERATION_IN_PROGRESS"
            return None, [
                {
                    "code": code,
                    "field": None,
                    "message": "A bulk query operation for this app and shop is "
                    f"already in progress: {running[0].gid}.",
                }
            ]
        try:
            top = plan(load_schema(), query)
            LISTINGS[(top.parent, top.name)](None, ctx, top.args)  # scope check
        except (BulkQueryError, GraphQLError) as exc:
            return None, [{"code": "INVALID", "field": ["query"], "message": str(exc.args[0])}]
        op = BulkOperation(
            ctx.shop.next_id("BulkOperation"),
            ctx.shop.domain,
            ctx.client_id,
            query,
            ctx.now(),
            group_objects,
            ctx.base_url,
            slow={k: float(v or 0) for k, v in (self.sandbox.config.get("bulk") or {}).items()},
        )
        self.operations[op.id] = op
        self._prune()
        thread = threading.Thread(target=self._run, args=(op, ctx, top), name=f"bulk-{op.id}", daemon=True)
        self.threads.append(thread)
        thread.start()
        return op, []

    def _run(self, op: BulkOperation, ctx: Ctx, top: Any) -> None:
        from sandbox.shopify.bulk_query import roots

        sb = self.sandbox
        if sb.stopping.wait(float(sb.config.get("bulk_delay_seconds") or 0)):
            return
        fault = sb.faults.take("bulk_run")
        with self.lock:
            op.status, op.running_since = "RUNNING", sb.now()
        op.path = os.path.join(sb.tmpdir, f"bulk-{op.id}.jsonl")
        lines = roots(ctx, top)
        with open(op.path, "w", encoding="utf-8") as out:
            while not sb.stopping.is_set() and not op.cancel:
                with sb.lock:
                    batch = list(itertools.islice(lines, CHUNK))
                    later: list[dict[str, Any]] = []
                    text = []
                    for line, kids in batch:
                        text.append(ENCODE(line))
                        (text.extend if op.group_objects else later.extend)(ENCODE(k) for k in kids)
                    text.extend(later)
                if not batch:
                    break
                out.write("\n".join(text) + "\n")
                op.root_object_count += len(batch)
                op.object_count += len(text)
                if fault is not None:
                    break
        while not sb.stopping.is_set() and not op.cancel and not self._may_finish(op):
            sb.stopping.wait(0.02)
        op.file_size = os.path.getsize(op.path)
        op.completed_at = sb.now()
        if fault is not None:
            op.status, op.error_code = "FAILED", "INTERNAL_SERVER_ERROR"
        else:
            op.status = "CANCELED" if op.cancel else "COMPLETED"
        if not sb.stopping.is_set():
            shop = sb.shop(op.shop)
            if shop is not None:
                sb.webhooks.emit(op.shop, "bulk_operations/finish", lambda: self.payload(op))

    def _may_finish(self, op: BulkOperation) -> bool:
        """A slow operation has been RUNNING long enough, and polled often enough, to finish."""
        waited = self.sandbox.now() - (op.running_since or 0.0)
        return op.polls >= op.slow.get("running_polls", 0) and waited >= op.slow.get("running_seconds", 0)

    def polled(self, op: BulkOperation | None) -> None:
        """A status read of `op`: counted while it runs, and the clock moved on by `seconds_per_poll`."""
        if op is None or op.status not in ("CREATED", "RUNNING"):
            return
        op.polls += 1
        self.sandbox.clock_offset += op.slow.get("seconds_per_poll", 0)

    def _prune(self, keep: int = 5) -> None:
        """Results expire (Shopify keeps them 7 days); here only the latest few files stay on disk."""
        finished = sorted(
            (op for op in self.operations.values() if op.status in ("COMPLETED", "FAILED", "CANCELED")),
            key=lambda op: op.id,
        )
        for op in finished[:-keep]:
            if op.path and os.path.exists(op.path):
                os.remove(op.path)
            op.status, op.path = "EXPIRED", None

    @staticmethod
    def payload(op: BulkOperation) -> dict[str, Any]:
        return {
            "admin_graphql_api_id": op.gid,
            "completed_at": rest_time(op.completed_at),
            "created_at": rest_time(op.created_at),
            "error_code": op.error_code and op.error_code.lower(),
            "status": op.status.lower(),
            "type": op.type.lower(),
        }

    def current(self, shop: str, client_id: str, kind: str = "QUERY") -> BulkOperation | None:
        mine = [
            op for op in self.operations.values() if op.shop == shop and op.client_id == client_id and op.type == kind
        ]
        return max(mine, key=lambda op: op.id, default=None)

    def clear(self) -> None:
        for op in self.operations.values():
            op.cancel = True
        self.operations.clear()

    def close(self) -> None:
        for thread in self.threads:
            thread.join(timeout=10)
