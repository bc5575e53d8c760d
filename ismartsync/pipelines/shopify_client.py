"""A Shopify client for a merchant's connection, its renewed token saved at once."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ismartsync.services.shopify_store.connection import connection_of
from ismartsync.services.shopify_store.tokens import NotConnected, client_for
from ismartsync.shopify.client import ShopifyClient


def open_client(session: Session, merchant_id: int) -> ShopifyClient:
    """A client for the merchant's shop; NotConnected when it has no working connection.

    Commits: a token renewed on the way is saved whatever happens to the caller's work (Shopify has already rotated
    the refresh token).
    """
    connection = connection_of(session, merchant_id)
    if connection is None:
        raise NotConnected("Shopify is not connected.")
    client = client_for(session, connection)
    session.commit()
    return client
