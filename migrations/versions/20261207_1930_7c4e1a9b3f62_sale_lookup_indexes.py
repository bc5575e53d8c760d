"""Finding a sale to return: a customer's purchases newest first, and a sale by its FBR invoice number, each read
along an index instead of every sale of the merchant.

Revision ID: 7c4e1a9b3f62
Revises: 36a4e90dad7b
Create Date: 2026-12-07 19:30:00.000000

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "7c4e1a9b3f62"
down_revision = "36a4e90dad7b"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("sales", schema=None) as batch_op:
        batch_op.create_index("ix_sales_customer_placed", ["customer_id", "placed_at"], unique=False)
    with op.batch_alter_table("fiscal_documents", schema=None) as batch_op:
        batch_op.create_index("ix_fiscal_documents_merchant_fbr_number", ["merchant_id", "fbr_number"], unique=False)


def downgrade():
    with op.batch_alter_table("fiscal_documents", schema=None) as batch_op:
        batch_op.drop_index("ix_fiscal_documents_merchant_fbr_number")
    with op.batch_alter_table("sales", schema=None) as batch_op:
        batch_op.drop_index("ix_sales_customer_placed")
