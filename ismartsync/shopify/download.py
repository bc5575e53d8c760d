"""Streaming a bulk operation's JSONL result: object by object, never the whole file in memory, no token sent.

Shopify's result URL is signed (it expires after 7 days) and may redirect to cloud storage, so the request carries
no access token. Failures before the first line are retried like API calls; a connection lost halfway cannot be
resumed, so it raises ShopifyUnavailable and the importer starts that download again.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from ismartsync.shopify.errors import ShopifyError, ShopifyUnavailable
from ismartsync.shopify.retry import Retry, backoff, retry_after

CHUNK_BYTES = 256 * 1024


def stream_jsonl(
    http: httpx.Client, url: str, *, max_attempts: int, sleep: Callable[[float], None]
) -> Iterator[dict[str, Any]]:
    """Yield each JSON object of the file at `url`; lines are split on bytes, so any line length works."""
    outcome = Retry(0, "not tried")
    for attempt in range(1, max_attempts + 1):
        yielded = 0
        try:
            with http.stream("GET", url, follow_redirects=True) as response:
                status = response.status_code
                if status == 429 or status >= 500:
                    delay = retry_after(response.headers.get("Retry-After")) if status == 429 else None
                    outcome = Retry(delay or backoff(attempt), f"HTTP {status} downloading the bulk result")
                elif status != 200:
                    raise ShopifyError(f"the bulk result could not be downloaded (HTTP {status})", status=status)
                else:
                    for obj in _objects(response.iter_bytes(CHUNK_BYTES)):
                        yielded += 1
                        yield obj
                    return
        except httpx.TransportError as exc:
            if yielded:
                raise ShopifyUnavailable(
                    f"the bulk result download broke off after {yielded} lines ({type(exc).__name__})",
                    attempts=attempt,
                ) from exc
            outcome = Retry(backoff(attempt), f"could not download the bulk result ({type(exc).__name__})")
        if attempt < max_attempts:
            sleep(outcome.delay)
    raise ShopifyUnavailable(f"{outcome.reason} after {max_attempts} attempts", attempts=max_attempts)


def _objects(chunks: Iterator[bytes]) -> Iterator[dict[str, Any]]:
    """JSON objects from newline-separated chunks; a line spread over many chunks is joined once, not re-copied."""
    partial: list[bytes] = []
    for chunk in chunks:
        lines = chunk.split(b"\n")
        if len(lines) == 1:
            partial.append(chunk)
            continue
        partial.append(lines[0])
        lines[0] = b"".join(partial)
        partial = [lines.pop()]
        for line in lines:
            if line.strip():
                yield json.loads(line)
    tail = b"".join(partial)
    if tail.strip():
        yield json.loads(tail)
