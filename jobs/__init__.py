"""RQ entry points: thin functions that take ids, call one pipeline or service, and commit."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, has_app_context

F = TypeVar("F", bound=Callable[..., Any])
_app: Flask | None = None


def _get_app() -> Flask:
    global _app
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined]
    if _app is None:
        from ismartsync import create_app

        _app = create_app()
    return _app


def job(func: F) -> F:
    """Run the job in its own app context, so it has its own database session.

    A job enqueued as `unique` is marked while it waits in the queue; starting releases the mark, so what is asked
    for from now on gets a run of its own. A success is noted, so earlier failures of the same call are forgotten
    (`ismartsync.queue.forget_superseded_failures`).
    """
    path = f"{func.__module__}.{func.__qualname__}"

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from ismartsync.queue import note_success, release_queued

        app = _get_app()
        release_queued(app, path, args)
        started_at = time.time()
        with app.app_context():
            result = func(*args, **kwargs)
        note_success(app, path, args, started_at)
        return result

    return wrapper  # type: ignore[return-value]
