"""Receipt links: a random key per sale for its public link (so no secret key signs it), and how many days a
merchant's links open.

Revision ID: 5b1e7c2d9a04
Revises: 4b7d2c9e81a3
Create Date: 2026-12-07 17:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "5b1e7c2d9a04"
down_revision = "4b7d2c9e81a3"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("merchants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("receipt_link_days", sa.Integer(), server_default="180", nullable=False))
    with op.batch_alter_table("sales", schema=None) as batch_op:
        batch_op.add_column(sa.Column("receipt_key", sa.String(length=32), nullable=True))
    # Every sale so far gets a key of 128 random bits from the database's own strong source (the links already
    # shared, signed with the secret key, keep working until they expire).
    if op.get_bind().dialect.name == "postgresql":
        op.execute("UPDATE sales SET receipt_key = replace(gen_random_uuid()::text, '-', '')")
    else:
        op.execute("UPDATE sales SET receipt_key = lower(hex(randomblob(16)))")
    with op.batch_alter_table("sales", schema=None) as batch_op:
        batch_op.alter_column("receipt_key", existing_type=sa.String(length=32), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_sales_receipt_key"), ["receipt_key"])


def downgrade():
    with op.batch_alter_table("sales", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_sales_receipt_key"), type_="unique")
        batch_op.drop_column("receipt_key")
    with op.batch_alter_table("merchants", schema=None) as batch_op:
        batch_op.drop_column("receipt_link_days")
