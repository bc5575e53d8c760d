"""Shopify webhook subscriptions per connection: each topic the sync needs, its Shopify id and address, when it was
created and checked, its last delivery and last error.

Revision ID: 7c3e5a1f9b20
Revises: 7c4e1a9b3f62
Create Date: 2026-12-07 20:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "7c3e5a1f9b20"
down_revision = "7c4e1a9b3f62"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "shopify_webhook_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("shopify_id", sa.String(length=120), nullable=False),
        sa.Column("callback_url", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_delivery_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["shopify_connections.id"],
            name=op.f("fk_shopify_webhook_subscriptions_connection_id_shopify_connections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["merchants.id"],
            name=op.f("fk_shopify_webhook_subscriptions_merchant_id_merchants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shopify_webhook_subscriptions")),
        sa.UniqueConstraint(
            "connection_id", "topic", name=op.f("uq_shopify_webhook_subscriptions_connection_id_topic")
        ),
    )
    with op.batch_alter_table("shopify_webhook_subscriptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_shopify_webhook_subscriptions_merchant_id"), ["merchant_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("shopify_webhook_subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shopify_webhook_subscriptions_merchant_id"))
    op.drop_table("shopify_webhook_subscriptions")
