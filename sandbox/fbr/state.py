"""The FBR sandbox's memory: tokens (each with its environment and POSIDs), recorded invoices, number counters."""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.fbr.faults import Faults
from sandbox.fbr.validate import CreditHistory

SAMPLE_TOKEN = "1298b5eb-b252-3d97-8622-a4a69d5bf818"  # fbr.md §2.1, the spec's sample sandbox token
SAMPLE_POSID = 110014
PKT = timedelta(hours=5)  # FBR stamps numbers in Pakistan time


@dataclass
class TokenGrant:
    """What a bearer token opens: one environment, and the POSIDs registered for it (FBR issues a token per
    taxpayer and a POSID per counter, so one token serves several counters)."""

    environment: str
    posids: set[int] = field(default_factory=set)


@dataclass
class Invoice:
    posid: int
    usin: str
    invoice_number: str
    mode: str  # "cloud" or "local"
    environment: str | None  # "sandbox" / "production" for cloud, None for local
    recorded_at: str
    body: dict[str, Any]
    raw: str
    repeats: list[dict[str, Any]] = field(default_factory=list)

    def describe(self) -> dict[str, Any]:
        return {
            "POSID": self.posid,
            "USIN": self.usin,
            "InvoiceNumber": self.invoice_number,
            "mode": self.mode,
            "environment": self.environment,
            "recorded_at": self.recorded_at,
            "body": self.body,
            "raw": self.raw,
            "repeats": self.repeats,
        }


class FbrSandbox:
    def __init__(self, config: dict[str, Any] | None = None) -> None:
        self.config = dict(config or {})
        self.lock = threading.RLock()
        self.faults = Faults()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.tokens: dict[str, TokenGrant] = {}
            if self.config.get("sample_token", True):
                self.tokens[SAMPLE_TOKEN] = TokenGrant("sandbox", {SAMPLE_POSID})
            for spec in self.config.get("tokens", []):
                self.register(spec["posid"], spec["token"], spec.get("environment", "sandbox"))
            self.invoices: dict[tuple[int, str], Invoice] = {}
            self.order: list[Invoice] = []
            self.counters: dict[int, int] = {}
            self.requests: list[dict[str, Any]] = []
            self.faults.clear()

    def register(self, posid: int, token: str, environment: str = "sandbox") -> None:
        """Let `token` fiscalize for `posid` in `environment`, besides the POSIDs it already serves there."""
        if environment not in ("sandbox", "production"):
            raise ValueError("environment must be sandbox or production")
        if not isinstance(posid, int) or isinstance(posid, bool) or posid <= 0 or not token:
            raise ValueError("posid (a positive integer) and token are required")
        with self.lock:
            grant = self.tokens.setdefault(str(token), TokenGrant(environment))
            if grant.environment != environment:
                raise ValueError(f"this token is registered for the {grant.environment} environment")
            grant.posids.add(posid)

    def grant(self, token: str) -> TokenGrant | None:
        with self.lock:
            return self.tokens.get(token)

    def describe_tokens(self) -> list[dict[str, Any]]:
        """One row per (token, POSID), in registration order of the tokens."""
        with self.lock:
            return [
                {"token": token, "posid": posid, "environment": grant.environment}
                for token, grant in self.tokens.items()
                for posid in sorted(grant.posids)
            ]

    def known_usins(self, posid: int) -> set[str]:
        with self.lock:
            return {usin for (p, usin) in self.invoices if p == posid}

    def credit_history(self, posid: int, ref_usin: str, usin: str) -> CreditHistory:
        """What invoice `ref_usin` of `posid` sold per ItemCode, and what credit notes against it (other than `usin`,
        so a repeat is checked as the first send was) credited."""
        with self.lock:
            original = self.invoices.get((posid, ref_usin))
            sold: dict[str, float] = {}
            for item in original.body["Items"] if original is not None else []:
                sold[item["ItemCode"]] = sold.get(item["ItemCode"], 0) + abs(item["Quantity"])
            credited: dict[str, float] = {}
            for (p, u), invoice in self.invoices.items():
                body = invoice.body
                if p != posid or u == usin or body.get("InvoiceType") != 3 or body.get("RefUSIN") != ref_usin:
                    continue
                for item in body["Items"]:
                    credited[item["ItemCode"]] = credited.get(item["ItemCode"], 0) + abs(item["Quantity"])
            return CreditHistory(sold, credited)

    def find(self, posid: int, usin: str) -> Invoice | None:
        with self.lock:
            return self.invoices.get((posid, usin))

    def record(self, body: dict[str, Any], raw: str, mode: str, environment: str | None) -> tuple[Invoice, bool]:
        """The invoice for (POSID, USIN): the recorded one if the USIN was seen (the repeat body is kept in
        `repeats`), else a new one with a fresh number. Returns (invoice, is_new)."""
        posid, usin = body["POSID"], body["USIN"]
        now = datetime.now(UTC)
        with self.lock:
            existing = self.invoices.get((posid, usin))
            if existing is not None:
                existing.repeats.append(copy.deepcopy(body))
                return existing, False
            self.counters[posid] = self.counters.get(posid, 0) + 1
            invoice = Invoice(
                posid=posid,
                usin=usin,
                invoice_number=self.number(posid, now, self.counters[posid]),
                mode=mode,
                environment=environment,
                recorded_at=now.isoformat(timespec="seconds"),
                body=copy.deepcopy(body),
                raw=raw,
            )
            self.invoices[(posid, usin)] = invoice
            self.order.append(invoice)
            return invoice, True

    @staticmethod
    def number(posid: int, now: datetime, counter: int) -> str:
        """fbr.md §2.5: digits only, no dashes: POSID, then DDMMYYHHMM in Pakistan time, then a 4-digit counter
        (SRO 1006's XXXXXX-DDMMYYHHMMSS-0001 with the dashes and seconds dropped; 20 digits for a 6-digit POSID,
        like the real sample 11000120181112000369)."""
        return f"{posid}{(now + PKT).strftime('%d%m%y%H%M')}{counter % 10000:04d}"

    def log(self, entry: dict[str, Any]) -> None:
        with self.lock:
            entry["seq"] = len(self.requests) + 1
            self.requests.append(entry)

    def describe_invoices(self, posid: int | None = None) -> list[dict[str, Any]]:
        with self.lock:
            return [i.describe() for i in self.order if posid is None or i.posid == posid]
