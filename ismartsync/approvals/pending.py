"""The form a member sent, kept on the server while a supervisor's PIN is awaited, so the dialog echoes nothing.

The approval dialog carries a one-time key, never the fields (an FBR token, a password, a note): the fields stay
here, encrypted, in Redis when there is one (any web process can take them back), else in this process's memory
(the demo), bound to the member and the action's URL, for `PENDING_SECONDS`. Sending the dialog takes them back
into the request before any view reads its form; a key that is spent, stale or someone else's brings back nothing.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time

from flask import request
from flask_login import current_user
from werkzeug.datastructures import ImmutableMultiDict, MultiDict

from ismartsync import crypto
from ismartsync.queue import redis_connection

log = logging.getLogger(__name__)

PENDING_SECONDS = 600
KEY_FIELD = "approval_key"
# The dialog's own fields: never kept with the form, and the dialog's win over the kept ones.
DIALOG_FIELDS = ("csrf_token", "approver_id", "approver_pin", "approval_target", KEY_FIELD)
_PREFIX = "ismartsync:approval:"
_local: dict[str, tuple[float, str]] = {}
_lock = threading.Lock()


def keep_form() -> str | None:
    """Keep the posted form (but the dialog's fields) for the member's approval; its one-time key, or None if empty."""
    fields = [(k, v) for k, v in request.form.items(multi=True) if k not in DIALOG_FIELDS]
    if not fields:
        return None
    key = secrets.token_urlsafe(24)
    sealed = crypto.encrypt(json.dumps({"user": current_user.id, "path": request.path, "fields": fields}))
    redis = redis_connection()
    if redis is not None:
        try:
            redis.set(_PREFIX + key, sealed, ex=PENDING_SECONDS)
            return key
        except Exception:  # Redis trouble must not cost the approval; this process keeps it
            log.warning("could not keep a pending approval in Redis")
    with _lock:
        now = time.monotonic()
        for stale in [k for k, (until, _) in _local.items() if until <= now]:
            del _local[stale]
        _local[key] = (now + PENDING_SECONDS, sealed)
    return key


def _take(key: str) -> str | None:
    redis = redis_connection()
    if redis is not None:
        try:
            with redis.pipeline() as pipe:
                sealed, _ = pipe.get(_PREFIX + key).delete(_PREFIX + key).execute()
            if sealed is not None:
                return sealed.decode()
        except Exception:
            log.warning("could not take a pending approval from Redis")
    with _lock:
        until, sealed = _local.pop(key, (0.0, None))
    return sealed if sealed is not None and until > time.monotonic() else None


def take_form(key: str) -> MultiDict[str, str] | None:
    """The kept form under `key`, once, for the member who sent it to the URL it was sent to; else None."""
    sealed = _take(key)
    if sealed is None:
        return None
    kept = json.loads(crypto.decrypt(sealed))
    if kept["user"] != current_user.id or kept["path"] != request.path:
        return None
    return MultiDict([(k, v) for k, v in kept["fields"]])


def restore_form() -> bool | None:
    """Before the view: put a kept form back into the request, under the dialog's own fields.

    None when the request is not an approval's; False when its key brought nothing back (the caller says so).
    """
    # Only a signed-in member's POST can carry a key: anything else (a webhook) is never read here, so its body is
    # left for its own view to read within its own limits.
    if request.method != "POST" or not current_user.is_authenticated:
        return None
    key = request.form.get(KEY_FIELD, "")
    if not key:
        return None
    kept = take_form(key)
    if kept is None:
        return False
    for name in DIALOG_FIELDS:
        if name in request.form:
            kept.setlist(name, request.form.getlist(name))
    request.form = ImmutableMultiDict(kept)  # type: ignore[misc]  # werkzeug caches it; views and forms read it there
    request.__dict__.pop("values", None)  # args + form, cached from the dialog's form if anyone read it already
    return True
