"""A circuit breaker for the counter's inline FBR attempt: once FBR failed to answer, the next sales do not wait on it.

For `OPEN_SECONDS` after an attempt found FBR unreachable or silent, checkouts skip their inline attempt and leave
the document to the fiscal queue (which keeps trying, so it also notices FBR is back). Shared through Redis between
web processes when there is one; a process's own memory otherwise (the demo).
"""

from __future__ import annotations

import logging
import threading
import time

from redis import Redis

log = logging.getLogger(__name__)

OPEN_SECONDS = 60
_KEY = "ismartsync:fbr:circuit:"
_local: dict[str, float] = {}
_lock = threading.Lock()


def trip(redis: Redis | None, url: str, seconds: int = OPEN_SECONDS) -> None:
    """FBR at `url` failed to answer: open the circuit for `seconds`."""
    if redis is not None:
        try:
            redis.set(_KEY + url, 1, ex=seconds)
            return
        except Exception:  # Redis trouble must never cost a sale; fall back to this process
            log.warning("could not record the FBR circuit in Redis")
    with _lock:
        _local[url] = time.monotonic() + seconds


def close(redis: Redis | None, url: str) -> None:
    """FBR answered: inline attempts go ahead again at once."""
    if redis is not None:
        try:
            redis.delete(_KEY + url)
        except Exception:
            log.warning("could not clear the FBR circuit in Redis")
    with _lock:
        _local.pop(url, None)


def is_open(redis: Redis | None, url: str) -> bool:
    if redis is not None:
        try:
            if redis.exists(_KEY + url):
                return True
        except Exception:
            log.warning("could not read the FBR circuit from Redis")
    with _lock:
        until = _local.get(url)
        if until is not None and until <= time.monotonic():
            del _local[url]
            until = None
    return until is not None
