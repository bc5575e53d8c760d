"""What the counter screen shows: the cart and the approval dialog in a response, the cart in the database."""

from __future__ import annotations

from sqlalchemy import select

from ismartsync.extensions import db
from ismartsync.models import Sale
from tests.markup import text_of


def cart_text(response) -> str:
    return text_of(response.get_data(as_text=True), "cart")


def approval_what(response) -> str:
    """What the supervisor's dialog says is being approved."""
    return text_of(response.get_data(as_text=True), "approval-what")


def the_cart(counter) -> Sale:
    db.session.expire_all()  # the requests changed it through their own session
    return db.session.scalars(select(Sale).where(Sale.counter_id == counter.id, Sale.status == "draft")).one()
