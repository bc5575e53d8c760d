"""A store's webhook subscriptions kept to what the sync needs: listed in Shopify, the missing ones created, the ones
we no longer need deleted, each answer recorded; and deleted again when the merchant disconnects.

Installs of our own app need none of this (Shopify delivers what `shopify.app.toml` declares); a pasted token or the
merchant's own app get shop-specific subscriptions through the API. Commits between the network steps.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from ismartsync.models import ShopifyConnection, SubscriptionStatus, WebhookSubscription
from ismartsync.models.base import utcnow
from ismartsync.pipelines.shopify_client import open_client
from ismartsync.services.shopify_store import subscriptions
from ismartsync.services.shopify_store.connection import connection_of
from ismartsync.services.shopify_store.subscriptions import SYNC_TOPICS
from ismartsync.shopify import subscriptions as wire
from ismartsync.shopify.client import ShopifyClient
from ismartsync.shopify.errors import ShopifyError, ShopifyUnavailable, ShopifyUserError

log = logging.getLogger(__name__)


@dataclass
class Check:
    """What one check did in Shopify."""

    created: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


def check_subscriptions(session: Session, merchant_id: int, callback_url: str) -> Check | None:
    """Bring the merchant's subscriptions in line with SYNC_TOPICS at `callback_url`; None when not connected.

    Shopify unreachable: the error is recorded on every topic and raised again, so the job is retried.
    """
    connection = connection_of(session, merchant_id)
    if connection is None or not connection.is_connected:
        return None
    now = utcnow()
    if connection.uses_app_config:
        subscriptions.record_declared(session, connection, callback_url, now)
        session.commit()
        return Check()
    if not connection.can_verify_webhooks:
        subscriptions.record_unverifiable(session, connection, now)
        session.commit()
        return Check()
    try:
        with open_client(session, merchant_id) as client:
            check = _bring_in_line(session, client, connection, callback_url)
    except ShopifyError as exc:
        session.rollback()
        _record_failure(session, merchant_id, exc.message)
        if isinstance(exc, ShopifyUnavailable):
            raise
        return Check(failed=dict.fromkeys(SYNC_TOPICS, exc.message))
    session.commit()
    if check.created or check.removed or check.failed:
        log.info(
            "shopify webhook subscriptions checked",
            extra={
                "fields": {
                    "merchant": merchant_id,
                    "created": len(check.created),
                    "removed": len(check.removed),
                    "failed": len(check.failed),
                }
            },
        )
    return check


def _bring_in_line(session: Session, client: ShopifyClient, connection: ShopifyConnection, callback_url: str) -> Check:
    check = Check()
    now = utcnow()
    rows = subscriptions.subscriptions_of(session, connection)
    recorded = {row.shopify_id for row in rows.values() if row.shopify_id}
    keep: dict[str, wire.RemoteSubscription] = {}
    for remote in wire.list_subscriptions(client, SYNC_TOPICS):
        if remote.uri != callback_url and remote.id not in recorded:
            continue  # someone else's (the merchant's app may feed other systems too)
        if remote.uri == callback_url and remote.topic in SYNC_TOPICS and remote.topic not in keep:
            keep[remote.topic] = remote
            continue
        _delete_quietly(client, remote.id)  # a topic we dropped, a duplicate, or our old address
        check.removed.append(remote.topic)
    for topic in SYNC_TOPICS:
        if topic in keep:
            subscriptions.record_state(
                session,
                connection,
                topic,
                SubscriptionStatus.ACTIVE,
                now=now,
                shopify_id=keep[topic].id,
                callback_url=callback_url,
            )
            continue
        try:
            new_id = wire.create_subscription(client, topic, callback_url)
        except ShopifyUserError as exc:
            subscriptions.record_state(
                session, connection, topic, SubscriptionStatus.FAILED, now=now, shopify_id="", error=exc.message
            )
            check.failed[topic] = exc.message
            continue
        subscriptions.record_state(
            session,
            connection,
            topic,
            SubscriptionStatus.ACTIVE,
            now=now,
            shopify_id=new_id,
            callback_url=callback_url,
            created=True,
        )
        check.created.append(topic)
    subscriptions.drop_rows(session, [row for topic, row in rows.items() if topic not in SYNC_TOPICS])
    return check


def _delete_quietly(client: ShopifyClient, subscription_id: str) -> None:
    with contextlib.suppress(ShopifyUserError):  # already gone
        wire.delete_subscription(client, subscription_id)


def _record_failure(session: Session, merchant_id: int, message: str) -> None:
    connection = connection_of(session, merchant_id)
    if connection is None:
        return
    now = utcnow()
    rows = subscriptions.subscriptions_of(session, connection)
    for topic in SYNC_TOPICS:
        status = SubscriptionStatus(rows[topic].status) if topic in rows else SubscriptionStatus.FAILED
        subscriptions.record_state(session, connection, topic, status, now=now, error=message)
    session.commit()


def remove_subscriptions(session: Session, connection: ShopifyConnection) -> tuple[int, int]:
    """Before a disconnect: delete the subscriptions we created in Shopify, best effort (two attempts each, a person
    is waiting). Returns (removed, left): what could not be deleted stays recorded as orphaned with its error."""
    rows = list(subscriptions.subscriptions_of(session, connection).values())
    created = [row for row in rows if row.shopify_id]
    subscriptions.drop_rows(session, [row for row in rows if not row.shopify_id])
    if not created:
        session.commit()
        return 0, 0
    removed: list[WebhookSubscription] = []
    try:
        client = open_client(session, connection.merchant_id, max_attempts=2)
        session.commit()
        with client:
            for row in created:
                try:
                    _delete_quietly(client, row.shopify_id)
                except ShopifyError as exc:
                    row.status, row.last_error = SubscriptionStatus.ORPHANED, exc.message[:2000]
                    continue
                removed.append(row)
    except ShopifyError as exc:
        for row in created:
            if row not in removed:
                row.status, row.last_error = SubscriptionStatus.ORPHANED, exc.message[:2000]
    subscriptions.drop_rows(session, removed)
    session.commit()
    return len(removed), len(created) - len(removed)
