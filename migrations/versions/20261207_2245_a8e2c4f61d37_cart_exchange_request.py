"""An exchange under way is held on its cart (the draft sale), so it is parked, recalled and finished with the cart
on any counter of the branch instead of staying on the tablet that started it.

Revision ID: a8e2c4f61d37
Revises: d3576efb1473
Create Date: 2026-12-07 22:45:00.000000

"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "a8e2c4f61d37"
down_revision = "d3576efb1473"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("sales", schema=None) as batch_op:
        batch_op.add_column(sa.Column("exchange_request", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("sales", schema=None) as batch_op:
        batch_op.drop_column("exchange_request")
