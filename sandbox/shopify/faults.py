"""Fault injection: rules that make the next N matching requests fail, stall or throttle."""

from __future__ import annotations

import itertools
import random
import threading
from dataclasses import asdict, dataclass, field
from typing import Any

MODES = (
    "500",
    "502",
    "503",
    "504",
    "429",
    "throttled",
    "slow",
    "timeout",
    "bulk_fail",
    "idempotency_in_progress",
    "attempt_failed",
)
TARGETS = ("graphql", "oauth", "bulk", "any")


@dataclass
class FaultRule:
    """`mode`: an HTTP status ("500", "502", "503", "504", "429"), "throttled" (HTTP 200 THROTTLED error),
    "slow" (sleep `delay_ms` then answer normally), "timeout" (sleep `delay_ms`, default 35 s; with `apply` the
    request is carried out first, so the client times out on a request Shopify did record; without it nothing is
    applied and the answer is a 504), "bulk_fail" (the next bulk operation ends FAILED / INTERNAL_SERVER_ERROR).
    `target`: "graphql", "oauth" (access_token), "bulk" (result downloads) or "any". `operation`: only requests whose
    operation name or a root field matches."""

    mode: str
    count: int = 1
    target: str = "graphql"
    operation: str | None = None
    delay_ms: int | None = None
    apply: bool = False
    probability: float = 1.0
    id: int = 0
    hits: int = field(default=0)

    def matches(self, target: str, names: tuple[str, ...]) -> bool:
        if self.mode == "bulk_fail":
            return target == "bulk_run"
        if self.target not in ("any", target):
            return False
        return self.operation is None or self.operation in names

    @property
    def delay_seconds(self) -> float:
        default = 35_000 if self.mode == "timeout" else 1_000
        return (self.delay_ms if self.delay_ms is not None else default) / 1000


class Faults:
    def __init__(self) -> None:
        self.rules: list[FaultRule] = []
        self.lock = threading.Lock()
        self.ids = itertools.count(1)
        self.random = random.Random(0)

    def add(self, spec: dict[str, Any]) -> FaultRule:
        mode = str(spec.get("mode", ""))
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        target = str(spec.get("target", "graphql"))
        if target not in TARGETS:
            raise ValueError(f"target must be one of {', '.join(TARGETS)}")
        rule = FaultRule(
            mode=mode,
            count=int(spec.get("count", 1)),
            target=target,
            operation=spec.get("operation"),
            delay_ms=spec.get("delay_ms"),
            apply=bool(spec.get("apply", False)),
            probability=float(spec.get("probability", 1.0)),
            id=next(self.ids),
        )
        if not 0 < rule.probability <= 1:
            raise ValueError("probability must be above 0 and at most 1")
        with self.lock:
            if "seed" in spec:
                self.random.seed(spec["seed"])
            self.rules.append(rule)
        return rule

    def take(self, target: str, names: tuple[str, ...] = ()) -> FaultRule | None:
        """The first rule matching this request, used up by one."""
        with self.lock:
            for rule in self.rules:
                if rule.count > 0 and rule.matches(target, names):
                    if rule.probability < 1 and self.random.random() >= rule.probability:
                        continue
                    rule.count -= 1
                    rule.hits += 1
                    if rule.count == 0:
                        self.rules.remove(rule)
                    return rule
        return None

    def clear(self) -> None:
        with self.lock:
            self.rules.clear()

    def describe(self) -> list[dict[str, Any]]:
        with self.lock:
            return [asdict(rule) for rule in self.rules]
