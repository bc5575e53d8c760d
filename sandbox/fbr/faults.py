"""Fault injection for the FBR sandbox: the next N matching requests go down, stall, time out or hit the gateway."""

from __future__ import annotations

import itertools
import random
import threading
from dataclasses import asdict, dataclass
from typing import Any

MODES = ("down", "slow", "timeout_after_record", "gateway")
TARGETS = ("cloud", "local", "any")
GATEWAY_CODES = {401: 900901, 403: 900908}


@dataclass
class FaultRule:
    """`down`: answer `status` (default 503) with a plain-text body, nothing recorded (with `close`, on a real
    server, the connection is dropped instead, as if FBR were unreachable). `slow`: sleep `delay_ms`
    (default 1000) then answer normally. `timeout_after_record`: record the invoice, then sleep `delay_ms` (default
    35000, longer than any sane client timeout) before answering normally. `gateway`: answer the WSO2 fault for
    `status` 401 (900901) or 403 (900908) as if the token were bad. `target`: "cloud", "local" or "any". `body`
    (`down` only): what to answer instead of "Service Unavailable", as JSON when it is not a string."""

    mode: str
    count: int = 1
    target: str = "any"
    status: int | None = None
    delay_ms: int | None = None
    close: bool = False
    probability: float = 1.0
    body: Any = None
    id: int = 0
    hits: int = 0

    @property
    def delay_seconds(self) -> float:
        default = 35_000 if self.mode == "timeout_after_record" else 1_000
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
        target = str(spec.get("target", "any"))
        if target not in TARGETS:
            raise ValueError(f"target must be one of {', '.join(TARGETS)}")
        status = spec.get("status")
        if mode == "gateway":
            status = int(status or 401)
            if status not in GATEWAY_CODES:
                raise ValueError("gateway status must be 401 or 403")
        elif mode == "down":
            status = int(status or 503)
        rule = FaultRule(
            mode=mode,
            count=int(spec.get("count", 1)),
            target=target,
            status=status,
            delay_ms=spec.get("delay_ms"),
            close=bool(spec.get("close", False)),
            probability=float(spec.get("probability", 1.0)),
            body=spec.get("body"),
            id=next(self.ids),
        )
        if not 0 < rule.probability <= 1:
            raise ValueError("probability must be above 0 and at most 1")
        if rule.count < 1:
            raise ValueError("count must be at least 1")
        with self.lock:
            if "seed" in spec:
                self.random.seed(spec["seed"])
            self.rules.append(rule)
        return rule

    def take(self, target: str) -> FaultRule | None:
        """The first rule matching this request, used up by one."""
        with self.lock:
            for rule in self.rules:
                if rule.target not in ("any", target):
                    continue
                if rule.probability < 1 and self.random.random() >= rule.probability:
                    continue
                rule.count -= 1
                rule.hits += 1
                if rule.count == 0:
                    self.rules.remove(rule)
                return rule
        return None

    def down_status(self, target: str) -> int | None:
        """The status of a pending `down` rule for `target`, without using it up (the health check's view)."""
        with self.lock:
            rule = next((r for r in self.rules if r.mode == "down" and r.target in ("any", target)), None)
            return rule.status if rule else None

    def clear(self) -> None:
        with self.lock:
            self.rules.clear()

    def describe(self) -> list[dict[str, Any]]:
        with self.lock:
            return [asdict(rule) for rule in self.rules]
