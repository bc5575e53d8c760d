"""Webhooks from Shopify: HMAC-checked over the raw body before anything else reads it; CSRF does not apply."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, request

from ismartsync.extensions import csrf, db
from ismartsync.services import shopify_connection as connections
from ismartsync.services import shopify_webhooks
from ismartsync.shopify.oauth import ShopifyApp, verify_webhook_hmac

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
log = logging.getLogger(__name__)


@bp.post("/shopify")
@csrf.exempt
def shopify() -> Response:
    """401 for a bad signature (Shopify's compliance check expects exactly that); else store it once, queue its
    processing and answer 200 at once: nothing here calls Shopify."""
    raw = request.get_data(cache=True)
    shop = request.headers.get("X-Shopify-Shop-Domain", "")
    topic = request.headers.get("X-Shopify-Topic", "")
    app = ShopifyApp.from_config(current_app.config)
    signature = request.headers.get("X-Shopify-Hmac-Sha256")
    signer = next(
        (
            client_id
            for client_id, secret in connections.webhook_secrets(db.session, shop, app)
            if verify_webhook_hmac(raw, signature, [secret])
        ),
        None,
    )
    if signer is None:
        log.warning("shopify webhook with a bad signature", extra={"fields": {"shop": shop, "topic": topic}})
        return Response("invalid signature", status=401, mimetype="text/plain")
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
