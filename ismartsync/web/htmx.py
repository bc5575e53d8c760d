"""htmx at the edge of every view: is this request one for a fragment, render a page or its fragment from one
template, and redirect a plain form or an htmx request alike."""

from __future__ import annotations

from typing import Any

from flask import Response, redirect, render_template, request


def is_htmx() -> bool:
    """True for an htmx request that wants a fragment (a history restore wants the whole page)."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def render(page: str, fragment: str | None = None, status: int = 200, /, **context: Any) -> tuple[str, int, dict]:
    """Render the whole page, or only its fragment for htmx; the two share one template.

    A fragment response carries the pending flash messages out of band, so `flash()` works alike for both.
    """
    if fragment and is_htmx():
        body = render_template(fragment, **context) + render_template("_flashes.html")
    else:
        body = render_template(page, **context)
    return body, status, {"Vary": "HX-Request"}


def hx_redirect_or(location: str) -> Response:
    """A 303 for a plain form, an `HX-Redirect` for htmx."""
    if is_htmx():
        response = Response(status=204)
        response.headers["HX-Redirect"] = location
        return response
    return redirect(location, code=303)  # type: ignore[return-value]
