"""COD confirmation attempts (the newest one's outcome kept on the order) and fulfilment order moves; the branch list's index by date; the new Orders actions
(Confirm COD orders for Managers and Cashiers, Move online orders for Managers) for existing default roles.

Revision ID: 5b7d2e9c41a8
Revises: 5d03dae9ffb7
Create Date: 2026-12-07 23:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b7d2e9c41a8'
down_revision = '5d03dae9ffb7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('order_confirmations',
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=32), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('request_key', sa.String(length=64), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_order_confirmations_merchant_id_merchants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_id'], ['online_orders.id'], name=op.f('fk_order_confirmations_order_id_online_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_order_confirmations_recorded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_confirmations')),
    sa.UniqueConstraint('merchant_id', 'request_key', name=op.f('uq_order_confirmations_merchant_id_request_key'))
    )
    with op.batch_alter_table('order_confirmations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_confirmations_merchant_id'), ['merchant_id'], unique=False)
        batch_op.create_index('ix_order_confirmations_order_id_id', ['order_id', 'id'], unique=False)

    op.create_table('fulfilment_order_moves',
    sa.Column('fulfilment_order_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('fulfilment_order_shopify_id', sa.String(length=64), nullable=False),
    sa.Column('from_branch_id', sa.Integer(), nullable=True),
    sa.Column('to_branch_id', sa.Integer(), nullable=True),
    sa.Column('to_shopify_location_id', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('message', sa.String(length=500), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('request_key', sa.String(length=64), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['from_branch_id'], ['branches.id'], name=op.f('fk_fulfilment_order_moves_from_branch_id_branches'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['fulfilment_order_id'], ['fulfilment_orders.id'], name=op.f('fk_fulfilment_order_moves_fulfilment_order_id_fulfilment_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_fulfilment_order_moves_merchant_id_merchants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_id'], ['online_orders.id'], name=op.f('fk_fulfilment_order_moves_order_id_online_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_fulfilment_order_moves_requested_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['to_branch_id'], ['branches.id'], name=op.f('fk_fulfilment_order_moves_to_branch_id_branches'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fulfilment_order_moves')),
    sa.UniqueConstraint('merchant_id', 'request_key', name=op.f('uq_fulfilment_order_moves_merchant_id_request_key'))
    )
    with op.batch_alter_table('fulfilment_order_moves', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fulfilment_order_moves_merchant_id'), ['merchant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_fulfilment_order_moves_order_id'), ['order_id'], unique=False)
        batch_op.create_index('ix_fulfilment_order_moves_fulfilment_order_id_id', ['fulfilment_order_id', 'id'], unique=False)

    # The newest attempt's outcome on the order itself, so the list filters by a column (not a subquery per row).
    with op.batch_alter_table('online_orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('confirmation', sa.String(length=32), server_default='', nullable=False))

    # One branch's Smart Orders list, newest first whatever the status: walked backwards, stopping at a page.
    with op.batch_alter_table('fulfilment_orders', schema=None) as batch_op:
        batch_op.create_index('ix_fulfilment_orders_branch_created', ['branch_id', 'order_created_at', 'order_id'], unique=False)

    # Existing merchants' default roles get the new permissions as new merchants do (ismartsync/permissions.py).
    op.execute(
        "INSERT INTO role_grants (role_id, permission, effect) "
        "SELECT id, p.permission, 'allowed' FROM roles, "
        "(SELECT 'action.confirm_orders' AS permission UNION ALL SELECT 'action.move_orders') AS p "
        "WHERE is_default AND name = 'Manager' AND NOT is_owner"
    )
    op.execute(
        "INSERT INTO role_grants (role_id, permission, effect) "
        "SELECT id, 'action.confirm_orders', 'allowed' FROM roles WHERE is_default AND name = 'Cashier' AND NOT is_owner"
    )


def downgrade():
    op.execute("DELETE FROM role_grants WHERE permission IN ('action.confirm_orders', 'action.move_orders')")
    with op.batch_alter_table('fulfilment_orders', schema=None) as batch_op:
        batch_op.drop_index('ix_fulfilment_orders_branch_created')
    with op.batch_alter_table('online_orders', schema=None) as batch_op:
        batch_op.drop_column('confirmation')
    with op.batch_alter_table('fulfilment_order_moves', schema=None) as batch_op:
        batch_op.drop_index('ix_fulfilment_order_moves_fulfilment_order_id_id')
        batch_op.drop_index(batch_op.f('ix_fulfilment_order_moves_order_id'))
        batch_op.drop_index(batch_op.f('ix_fulfilment_order_moves_merchant_id'))
    op.drop_table('fulfilment_order_moves')
    with op.batch_alter_table('order_confirmations', schema=None) as batch_op:
        batch_op.drop_index('ix_order_confirmations_order_id_id')
        batch_op.drop_index(batch_op.f('ix_order_confirmations_merchant_id'))
    op.drop_table('order_confirmations')
