"""Sales (carts, lines, payments), bank and wallet tenders, quick keys, pending fiscal documents, counter settings and search text.

Revision ID: 098a4dc437b6
Revises: a191a91cc470
Create Date: 2026-11-27 21:05:50.598995

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "098a4dc437b6"
down_revision = "a191a91cc470"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "payment_methods",
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("account_title", sa.String(length=120), nullable=False),
        sa.Column("account_number", sa.String(length=40), nullable=False),
        sa.Column("iban", sa.String(length=34), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f("fk_payment_methods_merchant_id_merchants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_methods")),
    )
    with op.batch_alter_table("payment_methods", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_methods_merchant_id"), ["merchant_id"], unique=False)

    op.create_table(
        "sales",
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("counter_id", sa.Integer(), nullable=False),
        sa.Column("register_id", sa.Integer(), nullable=True),
        sa.Column("shift_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("number", sa.Integer(), nullable=True),
        sa.Column("usin", sa.String(length=40), nullable=True),
        sa.Column("label", sa.String(length=80), nullable=False),
        sa.Column("parked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cashier_id", sa.Integer(), nullable=False),
        sa.Column("salesperson_id", sa.Integer(), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("buyer_name", sa.String(length=200), nullable=False),
        sa.Column("buyer_phone", sa.String(length=40), nullable=False),
        sa.Column("buyer_cnic", sa.String(length=15), nullable=False),
        sa.Column("buyer_ntn", sa.String(length=20), nullable=False),
        sa.Column("prices_include_tax", sa.Boolean(), nullable=False),
        sa.Column("order_discount_kind", sa.String(length=8), nullable=True),
        sa.Column("order_discount_value", sa.BigInteger(), nullable=False),
        sa.Column("approved_discount_bp", sa.Integer(), server_default="0", nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("subtotal_minor", sa.BigInteger(), nullable=False),
        sa.Column("discount_minor", sa.BigInteger(), nullable=False),
        sa.Column("value_minor", sa.BigInteger(), nullable=False),
        sa.Column("tax_minor", sa.BigInteger(), nullable=False),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
        sa.Column("pos_fee_minor", sa.BigInteger(), nullable=False),
        sa.Column("payable_minor", sa.BigInteger(), nullable=False),
        sa.Column("paid_minor", sa.BigInteger(), nullable=False),
        sa.Column("change_minor", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branches.id"], name=op.f("fk_sales_branch_id_branches"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["cashier_id"], ["users.id"], name=op.f("fk_sales_cashier_id_users")),
        sa.ForeignKeyConstraint(
            ["counter_id"], ["counters.id"], name=op.f("fk_sales_counter_id_counters"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_sales_customer_id_customers"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f("fk_sales_merchant_id_merchants"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["register_id"], ["registers.id"], name=op.f("fk_sales_register_id_registers")),
        sa.ForeignKeyConstraint(["salesperson_id"], ["users.id"], name=op.f("fk_sales_salesperson_id_users")),
        sa.ForeignKeyConstraint(["shift_id"], ["shifts.id"], name=op.f("fk_sales_shift_id_shifts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales")),
        sa.UniqueConstraint("counter_id", "number", name=op.f("uq_sales_counter_id_number")),
        sa.UniqueConstraint("merchant_id", "uuid", name=op.f("uq_sales_merchant_id_uuid")),
    )
    with op.batch_alter_table("sales", schema=None) as batch_op:
        batch_op.create_index("ix_sales_branch_status_placed", ["branch_id", "status", "placed_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_sales_merchant_id"), ["merchant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sales_register_id"), ["register_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sales_shift_id"), ["shift_id"], unique=False)
        batch_op.create_index(
            "uq_sales_active_cart",
            ["counter_id"],
            unique=True,
            postgresql_where=sa.text("status = 'draft' AND parked_at IS NULL"),
            sqlite_where=sa.text("status = 'draft' AND parked_at IS NULL"),
        )

    op.create_table(
        "fiscal_documents",
        sa.Column("sale_id", sa.Integer(), nullable=False),
        sa.Column("counter_id", sa.Integer(), nullable=False),
        sa.Column("invoice_type", sa.String(length=2), nullable=False),
        sa.Column("usin", sa.String(length=40), nullable=False),
        sa.Column("ref_usin", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("fbr_number", sa.String(length=64), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("request", sa.JSON(), nullable=True),
        sa.Column("response", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["counter_id"], ["counters.id"], name=op.f("fk_fiscal_documents_counter_id_counters"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["merchants.id"],
            name=op.f("fk_fiscal_documents_merchant_id_merchants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sale_id"], ["sales.id"], name=op.f("fk_fiscal_documents_sale_id_sales"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fiscal_documents")),
        sa.UniqueConstraint("merchant_id", "usin", name=op.f("uq_fiscal_documents_merchant_id_usin")),
    )
    with op.batch_alter_table("fiscal_documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fiscal_documents_counter_id"), ["counter_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_fiscal_documents_merchant_id"), ["merchant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_fiscal_documents_sale_id"), ["sale_id"], unique=False)

    op.create_table(
        "sale_lines",
        sa.Column("sale_id", sa.Integer(), nullable=False),
        sa.Column("variant_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("sku", sa.String(length=255), nullable=False),
        sa.Column("barcode", sa.String(length=255), nullable=False),
        sa.Column("pct_code", sa.String(length=8), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("list_price_minor", sa.BigInteger(), nullable=False),
        sa.Column("unit_price_minor", sa.BigInteger(), nullable=False),
        sa.Column("tax_rate_bp", sa.Integer(), nullable=False),
        sa.Column("third_schedule", sa.Boolean(), nullable=False),
        sa.Column("discount_kind", sa.String(length=8), nullable=True),
        sa.Column("discount_value", sa.BigInteger(), nullable=False),
        sa.Column("approved_discount_bp", sa.Integer(), server_default="0", nullable=False),
        sa.Column("gross_minor", sa.BigInteger(), nullable=False),
        sa.Column("discount_minor", sa.BigInteger(), nullable=False),
        sa.Column("discount_excl_minor", sa.BigInteger(), nullable=False),
        sa.Column("value_minor", sa.BigInteger(), nullable=False),
        sa.Column("tax_minor", sa.BigInteger(), nullable=False),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f("fk_sale_lines_merchant_id_merchants"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["sale_id"], ["sales.id"], name=op.f("fk_sale_lines_sale_id_sales"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"], ["variants.id"], name=op.f("fk_sale_lines_variant_id_variants"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sale_lines")),
    )
    with op.batch_alter_table("sale_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sale_lines_merchant_id"), ["merchant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sale_lines_sale_id"), ["sale_id"], unique=False)

    op.create_table(
        "sale_payments",
        sa.Column("sale_id", sa.Integer(), nullable=False),
        sa.Column("tender", sa.String(length=8), nullable=False),
        sa.Column("payment_method_id", sa.Integer(), nullable=True),
        sa.Column("label", sa.String(length=120), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("tendered_minor", sa.BigInteger(), nullable=False),
        sa.Column("change_minor", sa.BigInteger(), nullable=False),
        sa.Column("reference", sa.String(length=80), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f("fk_sale_payments_merchant_id_merchants"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["payment_method_id"],
            ["payment_methods.id"],
            name=op.f("fk_sale_payments_payment_method_id_payment_methods"),
        ),
        sa.ForeignKeyConstraint(
            ["sale_id"], ["sales.id"], name=op.f("fk_sale_payments_sale_id_sales"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sale_payments")),
    )
    with op.batch_alter_table("sale_payments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sale_payments_merchant_id"), ["merchant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sale_payments_sale_id"), ["sale_id"], unique=False)

    op.create_table(
        "quick_keys",
        sa.Column("variant_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f("fk_quick_keys_merchant_id_merchants"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"], ["variants.id"], name=op.f("fk_quick_keys_variant_id_variants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quick_keys")),
        sa.UniqueConstraint("merchant_id", "variant_id", name=op.f("uq_quick_keys_merchant_id_variant_id")),
    )
    with op.batch_alter_table("quick_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quick_keys_merchant_id"), ["merchant_id"], unique=False)

    with op.batch_alter_table("counters", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_sale_number", sa.Integer(), server_default="0", nullable=False))

    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cnic", sa.String(length=15), server_default="", nullable=False))
        batch_op.add_column(sa.Column("ntn", sa.String(length=20), server_default="", nullable=False))

    with op.batch_alter_table("merchants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pos_fee_minor", sa.Integer(), server_default="100", nullable=False))
        batch_op.add_column(sa.Column("cashier_discount_limit_bp", sa.Integer(), server_default="1000", nullable=False))
        batch_op.add_column(
            sa.Column("buyer_name_threshold_minor", sa.BigInteger(), server_default="10000000", nullable=False)
        )

    with op.batch_alter_table("shifts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cash_sales_minor", sa.BigInteger(), server_default="0", nullable=False))

    with op.batch_alter_table("variants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_text", sa.String(length=1000), server_default="", nullable=False))
    # What catalog_import writes for new rows: product title, variant title (unless "Default Title"), SKU, barcode.
    op.execute(
        """
        UPDATE variants SET search_text = lower(substr(trim(
            (SELECT title FROM products WHERE products.id = variants.product_id)
            || CASE WHEN title IN ('', 'Default Title') THEN '' ELSE ' ' || title END
            || CASE WHEN sku = '' THEN '' ELSE ' ' || sku END
            || CASE WHEN barcode = '' THEN '' ELSE ' ' || barcode END), 1, 1000))
        """
    )
    with op.batch_alter_table("variants", schema=None) as batch_op:
        batch_op.create_index(
            "ix_variants_search_text_trgm",
            ["search_text"],
            unique=False,
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        )


def downgrade():
    with op.batch_alter_table("variants", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_variants_search_text_trgm", postgresql_using="gin", postgresql_ops={"search_text": "gin_trgm_ops"}
        )
        batch_op.drop_column("search_text")

    with op.batch_alter_table("shifts", schema=None) as batch_op:
        batch_op.drop_column("cash_sales_minor")

    with op.batch_alter_table("merchants", schema=None) as batch_op:
        batch_op.drop_column("buyer_name_threshold_minor")
        batch_op.drop_column("cashier_discount_limit_bp")
        batch_op.drop_column("pos_fee_minor")

    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("ntn")
        batch_op.drop_column("cnic")

    with op.batch_alter_table("counters", schema=None) as batch_op:
        batch_op.drop_column("last_sale_number")

    with op.batch_alter_table("sale_payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sale_payments_sale_id"))
        batch_op.drop_index(batch_op.f("ix_sale_payments_merchant_id"))

    op.drop_table("quick_keys")
    op.drop_table("sale_payments")
    with op.batch_alter_table("sale_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sale_lines_sale_id"))
        batch_op.drop_index(batch_op.f("ix_sale_lines_merchant_id"))

    op.drop_table("sale_lines")
    with op.batch_alter_table("fiscal_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fiscal_documents_sale_id"))
        batch_op.drop_index(batch_op.f("ix_fiscal_documents_merchant_id"))
        batch_op.drop_index(batch_op.f("ix_fiscal_documents_counter_id"))

    op.drop_table("fiscal_documents")
    with op.batch_alter_table("sales", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_sales_active_cart",
            postgresql_where=sa.text("status = 'draft' AND parked_at IS NULL"),
            sqlite_where=sa.text("status = 'draft' AND parked_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_sales_shift_id"))
        batch_op.drop_index(batch_op.f("ix_sales_register_id"))
        batch_op.drop_index(batch_op.f("ix_sales_merchant_id"))
        batch_op.drop_index("ix_sales_branch_status_placed")

    op.drop_table("sales")
    with op.batch_alter_table("payment_methods", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_methods_merchant_id"))

    op.drop_table("payment_methods")
