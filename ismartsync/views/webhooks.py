"""Webhooks from Shopify: HMAC-checked over the raw body before anything else reads it; CSRF does not apply.

The body is read only when the request carries a signature that could be one, and then only up to
`WEBHOOK_MAX_CONTENT_LENGTH` (413 beyond it): an unsigned or oversized POST costs no memory.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, request

from ismartsync.extensions import csrf, db
from ismartsync.services.shopify_store import connection as connections
from ismartsync.services.shopify_store import webhooks as shopify_webhooks
from ismartsync.shopify.oauth import ShopifyApp, verify_webhook_hmac

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
SIGNATURE_LENGTH = 44  # base64 of an HMAC-SHA256
log = logging.getLogger(__name__)


@bp.post("/shopify")
@csrf.exempt
def shopify() -> Response:
    """401 for a bad signature (Shopify's compliance check expects exactly that); else store it once, queue its
    processing and answer 200 at once: nothing here calls Shopify."""
    shop = request.headers.get("X-Shopify-Shop-Domain", "")
    topic = request.headers.get("X-Shopify-Topic", "")
    app = ShopifyApp.from_config(current_app.config)
    signed = _signed_body(shop, app)
    if signed is None:
        log.warning("shopify webhook with a bad signature", extra={"fields": {"shop": shop, "topic": topic}})
        return Response("invalid signature", status=401, mimetype="text/plain")
    signer, raw = signed
    webhook_id = request.headers.get("X-Shopify-Webhook-Id", "")
    if not webhook_id:
        # Shopify always sends one; without it a retry could not be told from a new event.
        log.warning("shopify webhook without a webhook id", extra={"fields": {"shop": shop, "topic": topic}})
        return Response("missing X-Shopify-Webhook-Id", status=400, mimetype="text/plain")
    event = shopify_webhooks.store_delivery(
        db.session,
        shop=shop,
        topic=topic,
        webhook_id=webhook_id,
        event_id=request.headers.get("X-Shopify-Event-Id", ""),
        api_version=request.headers.get("X-Shopify-API-Version", ""),
        triggered_at=request.headers.get("X-Shopify-Triggered-At"),
        payload=raw.decode("utf-8", errors="replace"),
    )
    if topic == "app/uninstalled":  # Shopify has already revoked our tokens: say so at once (a repeat is harmless)
        revoked = connections.revoke_on_uninstall(db.session, shop, signed_by=signer, app=app)
        log.info("shopify app uninstalled", extra={"fields": {"shop": shop, "revoked": len(revoked)}})
    db.session.commit()
    if event is None:
        log.info("shopify webhook repeated", extra={"fields": {"shop": shop, "topic": topic, "id": webhook_id}})
    return Response("ok", status=200, mimetype="text/plain")


def _signed_body(shop: str, app: ShopifyApp) -> tuple[str, bytes] | None:
    """(the client id whose secret signed the body, the body), or None. Without a signature of the right shape
    nothing is read; with one, at most WEBHOOK_MAX_CONTENT_LENGTH bytes (more is a 413, refused unread)."""
    signature = request.headers.get("X-Shopify-Hmac-Sha256", "")
    if len(signature) != SIGNATURE_LENGTH:
        return None
    secrets = connections.webhook_secrets(db.session, shop, app)
    if not secrets:
        return None
    request.max_content_length = current_app.config["WEBHOOK_MAX_CONTENT_LENGTH"]
    raw = request.get_data(cache=True)
    signer = next((client_id for client_id, secret in secrets if verify_webhook_hmac(raw, signature, [secret])), None)
    return (signer, raw) if signer is not None else None
