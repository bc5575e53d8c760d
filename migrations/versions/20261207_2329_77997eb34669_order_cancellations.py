"""Online orders cancelled from iSmartSync: one cancellation per order (who asked, why, how sending orderCancel went),
and the permission to cancel an online order, given to existing merchants' Manager roles; reserved stock at the
counter: an index of the online order lines still to ship, by variant.

Revision ID: 77997eb34669
Revises: 5b7d2e9c41a8
Create Date: 2026-12-07 23:29:40.234232

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "77997eb34669"
down_revision = "5b7d2e9c41a8"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "order_cancellations",
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("staff_note", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("shopify_job_id", sa.String(length=64), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["merchants.id"],
            name=op.f("fk_order_cancellations_merchant_id_merchants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["online_orders.id"],
            name=op.f("fk_order_cancellations_order_id_online_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["users.id"],
            name=op.f("fk_order_cancellations_requested_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_cancellations")),
        sa.UniqueConstraint("order_id", name=op.f("uq_order_cancellations_order_id")),
    )
    with op.batch_alter_table("order_cancellations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_cancellations_merchant_id"), ["merchant_id"], unique=False)
    with op.batch_alter_table("online_order_lines", schema=None) as batch_op:
        batch_op.create_index(
            "ix_online_order_lines_unfulfilled_variant",
            ["variant_id"],
            unique=False,
            postgresql_where=sa.text("unfulfilled_quantity > 0"),
            sqlite_where=sa.text("unfulfilled_quantity > 0"),
        )
    # Existing merchants' default Manager roles may cancel, as new merchants' do (ismartsync/permissions.py).
    op.execute(
        "INSERT INTO role_grants (role_id, permission, effect) "
        "SELECT id, 'action.cancel_online_order', 'allowed' FROM roles "
        "WHERE is_default AND name = 'Manager' AND NOT is_owner"
    )


def downgrade():
    op.execute("DELETE FROM role_grants WHERE permission = 'action.cancel_online_order'")
    with op.batch_alter_table("online_order_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_online_order_lines_unfulfilled_variant")
    with op.batch_alter_table("order_cancellations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_cancellations_merchant_id"))
    op.drop_table("order_cancellations")
