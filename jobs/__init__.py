"""RQ entry points: thin functions that take ids, load, call a service and commit."""

from __future__ import annotations

import functools
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
    for from now on gets a run of its own.
    """
    path = f"{func.__module__}.{func.__qualname__}"

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from ismartsync.queue import release_queued

        app = _get_app()
        release_queued(app, path, args)
        with app.app_context():
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
