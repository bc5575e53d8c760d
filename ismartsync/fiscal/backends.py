"""FBR backends: one interface (`FiscalBackend`), so FBR's Digital Invoicing API can be added beside IMS (fbr.md §3.9).

A backend sends one request body and says how it ended, in the error classes of fbr.md §2.7; it never raises for
anything FBR or the network did. All FBR I/O goes through here.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from ismartsync.models import AttemptOutcome, FiscalEnvironment

# fbr.md §2.1: the cloud PostData endpoints. A base URL from the settings replaces the host (the sandbox's).
IMS_HOSTS = {
    FiscalEnvironment.SANDBOX: "https://esp.fbr.gov.pk:8244",
    FiscalEnvironment.PRODUCTION: "https://gw.fbr.gov.pk",
}
IMS_PATHS = {
    FiscalEnvironment.SANDBOX: "/FBR/v1/api/Live/PostData",
    FiscalEnvironment.PRODUCTION: "/imsp/v1/api/Live/PostData",
}
SUCCESS_CODE = "100"
NO_NUMBER = {"", "not available", "none", "null"}  # what a refusal puts where the number would be (G1)
# How long a connection may stay idle for reuse: short, so FBR's side never closes one just as we send on it.
KEEPALIVE_SECONDS = 5.0
# How much of FBR's own wording an error message quotes (the attempt's error column holds 500 characters).
QUOTE_LIMIT = 300
# Where FBR's answers put their words: the gateway's fault (§2.1), IMS's Response and Errors (§2.4), and what other
# web stacks answer a 4xx with (ASP.NET's Message and ModelState, error/detail/title), in that order.
_WORDS_KEYS = (
    "fault", "message", "Message", "description", "Response", "Errors", "errors", "ModelState",
    "error", "error_description", "detail", "title",
)  # fmt: skip
_HTML = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]*>", re.IGNORECASE | re.DOTALL)
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Answer:
    """How one attempt ended: the outcome class, FBR's number when reported, and what came back, as it came."""

    outcome: AttemptOutcome
    fbr_number: str | None = None
    http_status: int | None = None
    response: Any = None  # the parsed JSON body, or its text when it was not JSON
    error: str = ""
    elapsed_ms: int = 0


class FiscalBackend(Protocol):
    """Reports one fiscal document to a tax authority's API."""

    url: str

    def report(self, body: dict[str, Any], *, token: str, timeout: float) -> Answer:
        """Send `body` once, waiting at most about `timeout` seconds for the answer."""
        ...


class ImsCloud:
    """FBR's IMS POS API in cloud mode: POST the invoice with the bearer token (fbr.md §2.1–2.4)."""

    def __init__(self, environment: str, *, api_base: str | None = None, client: httpx.Client | None = None) -> None:
        env = FiscalEnvironment(environment)
        self.url = (api_base.rstrip("/") if api_base else IMS_HOSTS[env]) + IMS_PATHS[env]
        self.client = client or shared_client()

    def report(self, body: dict[str, Any], *, token: str, timeout: float) -> Answer:
        started = time.monotonic()
        content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        try:
            response = self.client.post(
                self.url,
                content=content,
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                timeout=_timeout(timeout),
            )
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            return Answer(AttemptOutcome.UNREACHABLE, error=_describe(exc), elapsed_ms=_ms(started))
        except (httpx.WriteError, httpx.WriteTimeout) as exc:
            # The body never fully left: FBR cannot have recorded an invoice from it.
            return Answer(AttemptOutcome.UNREACHABLE, error=_describe(exc), elapsed_ms=_ms(started))
        except httpx.TransportError as exc:
            # Sent, and no answer: a read timeout, or the connection dropped while we waited. FBR may have
            # recorded it, so it is reconciled rather than sent again blindly (fbr.md §2.7).
            return Answer(AttemptOutcome.UNKNOWN, error=_describe(exc), elapsed_ms=_ms(started))
        return classify(response.status_code, response.text, _ms(started))


def classify(status: int, text: str, elapsed_ms: int = 0) -> Answer:
    """FBR's HTTP answer in the classes of fbr.md §2.7; success only on 2xx + Code "100" + a real number (§2.4)."""
    parsed = _json(text)
    outcome, number, error = _judge(status, parsed)
    return Answer(outcome, number, status, parsed, error, elapsed_ms)


def _judge(status: int, parsed: Any) -> tuple[AttemptOutcome, str | None, str]:
    if status in (401, 403):
        return AttemptOutcome.REFUSED, None, _gateway_fault(status, parsed)
    if status in (404, 405):  # WSO2's "No matching resource found": a wrong URL, a configuration fault
        return AttemptOutcome.REFUSED, None, f"FBR has no such endpoint (HTTP {status})"
    if status == 504:  # the gateway gave up waiting for FBR's server, which may have recorded the invoice
        return AttemptOutcome.UNKNOWN, None, "FBR's gateway timed out (HTTP 504)"
    if status == 429 or status >= 500:
        return AttemptOutcome.UNREACHABLE, None, f"FBR is unavailable (HTTP {status})"
    if not 200 <= status < 300:
        said = fbr_said(parsed)
        return AttemptOutcome.REJECTED, None, f"FBR refused the request (HTTP {status})" + (f": {said}" if said else "")
    if not isinstance(parsed, dict):
        return AttemptOutcome.UNKNOWN, None, "FBR's answer was not JSON"
    code, number = str(parsed.get("Code", "")).strip(), fbr_number_of(parsed)
    if code == SUCCESS_CODE and number:
        return AttemptOutcome.REPORTED, number, ""
    if code == SUCCESS_CODE:  # accepted, but without a number we could print: find out what FBR holds
        return AttemptOutcome.UNKNOWN, None, "FBR accepted it but sent no number"
    return AttemptOutcome.REJECTED, None, _rejection(code, parsed)


def _gateway_fault(status: int, parsed: Any) -> str:
    fault = parsed.get("fault") if isinstance(parsed, dict) else None
    fault = fault if isinstance(fault, dict) else {}
    code, message = fault.get("code", ""), fbr_said(fault.get("message", ""))
    text = f"FBR refused our credentials (HTTP {status}{f', fault {fbr_said(code)}' if code else ''})"
    return f"{text}: {message}" if message else text


def fbr_said(answer: Any, limit: int = QUOTE_LIMIT) -> str:
    """FBR's own words in an answer (parsed JSON, or its text with an HTML page's markup dropped), for a person to
    read: on one line, control characters escaped (`\\n`, `\\x00`), at most `limit` characters; "" when it said
    nothing. Templates escape the HTML when they show it; this keeps a broken or hostile body to one short line.
    """
    if isinstance(answer, str) and answer.lstrip().startswith("<"):
        answer = _HTML.sub(" ", answer)
    words: list[str] = []
    for part in _words(answer):
        part = _SPACE.sub(" ", part).strip()
        if part and part not in words:
            words.append(part)
    text = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in "; ".join(words))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _words(value: Any, depth: int = 0) -> list[str]:
    if depth > 4 or value is None or isinstance(value, bool):
        return []
    if isinstance(value, dict):
        known = [key for key in _WORDS_KEYS if key in value]
        if not known:  # a shape we do not know (ModelState's fields): each field with what was said of it
            return [f"{key}: {word}" for key, item in value.items() for word in _words(item, depth + 1)]
        return [word for key in known for word in _words(value[key], depth + 1)]
    if isinstance(value, list):
        return [word for item in value for word in _words(item, depth + 1)]
    return [str(value)]


def fbr_number_of(answer: dict[str, Any]) -> str | None:
    """The invoice number under either key FBR has used (§2.4), as a string, or None for "Not Available"."""
    for key in ("InvoiceNumber", "FBRInvoiceNumber"):
        value = answer.get(key)
        if value is not None and not isinstance(value, (bool, dict, list)):
            number = str(value).strip()
            if number.lower() not in NO_NUMBER:
                return number[:64]
    return None


def _rejection(code: str, answer: dict[str, Any]) -> str:
    message, details = fbr_said(answer.get("Response"), 100), fbr_said(answer.get("Errors"))
    text = f"FBR rejected it (Code {fbr_said(code, 10) or '?'}): {message}"
    return f"{text}. {details}" if details else text


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text[:2000]


def _timeout(seconds: float) -> httpx.Timeout:
    """Connecting gets a third of the wait (at most 2 s): a dead host is known quickly; reading gets all of it."""
    return httpx.Timeout(seconds, connect=min(2.0, seconds / 3), pool=1.0)


def _describe(exc: Exception) -> str:
    kind = {
        httpx.ConnectError: "Could not connect to FBR",
        httpx.ConnectTimeout: "Connecting to FBR timed out",
        httpx.ReadTimeout: "FBR did not answer in time",
        httpx.RemoteProtocolError: "FBR closed the connection without answering",
    }.get(type(exc), "The connection to FBR failed")
    return f"{kind} ({type(exc).__name__}: {exc})"[:500]


def _ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


_client: httpx.Client | None = None
_client_lock = threading.Lock()


def shared_client() -> httpx.Client:
    """One connection pool per process (web or worker), TLS verification on (fbr.md §2.1: never turn it off)."""
    global _client
    with _client_lock:
        if _client is None:
            _client = httpx.Client(
                verify=True,
                follow_redirects=False,
                limits=httpx.Limits(max_connections=20, keepalive_expiry=KEEPALIVE_SECONDS),
            )
        return _client


def backend_for(backend: str, environment: str, *, api_base: str | None = None) -> FiscalBackend:
    """The backend a merchant chose (only IMS cloud exists today)."""
    if backend == "ims_cloud":
        return ImsCloud(environment, api_base=api_base)
    raise ValueError(f"no fiscal backend {backend!r}")
