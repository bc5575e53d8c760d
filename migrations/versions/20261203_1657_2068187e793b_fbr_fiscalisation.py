"""FBR fiscalisation: fiscal settings per merchant and counter, fiscal document retry state, the attempt log, email attachments,
and the "Resolve FBR reports" permission for the default Manager and Accountant roles.

Revision ID: 2068187e793b
Revises: 098a4dc437b6
Create Date: 2026-12-03 16:57:56.135938

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "2068187e793b"
down_revision = "098a4dc437b6"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "fiscal_attempts",
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(length=12), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=12), nullable=True),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("response", sa.JSON(), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=False),
        sa.Column("elapsed_ms", sa.Integer(), nullable=True),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["fiscal_documents.id"],
            name=op.f("fk_fiscal_attempts_document_id_fiscal_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f("fk_fiscal_attempts_merchant_id_merchants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fiscal_attempts")),
        sa.UniqueConstraint("document_id", "number", name=op.f("uq_fiscal_attempts_document_id_number")),
    )
    with op.batch_alter_table("fiscal_attempts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fiscal_attempts_document_id"), ["document_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_fiscal_attempts_merchant_id"), ["merchant_id"], unique=False)

    with op.batch_alter_table("counters", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fbr_enabled", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("fbr_pos_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("fbr_token", sa.Text(), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_counters_merchant_id_fbr_pos_id"), ["merchant_id", "fbr_pos_id"]
        )

    with op.batch_alter_table("fiscal_documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pos_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("environment", sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column("offline_issued", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("sending_since", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_error", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("alerted_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("resolved_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("resolution_note", sa.String(length=300), server_default="", nullable=False))
        batch_op.create_index("ix_fiscal_documents_status_next_attempt_at", ["status", "next_attempt_at"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_fiscal_documents_resolved_by_id_users"),
            "users",
            ["resolved_by_id"],
            ["id"],
            ondelete="SET NULL",
        )

    with op.batch_alter_table("merchants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fiscal_backend", sa.String(length=16), server_default="off", nullable=False))
        batch_op.add_column(
            sa.Column("fiscal_environment", sa.String(length=12), server_default="sandbox", nullable=False)
        )
        batch_op.add_column(sa.Column("fbr_token", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("default_pct_code", sa.String(length=8), server_default="", nullable=False))

    with op.batch_alter_table("outgoing_emails", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attachments", sa.JSON(), nullable=True))

    # Existing merchants' default roles get the new permission as new merchants do (ismartsync/permissions.py).
    op.execute(
        "INSERT INTO role_grants (role_id, permission, effect) "
        "SELECT id, 'action.resolve_fiscal', 'allowed' FROM roles "
        "WHERE is_default AND name IN ('Manager', 'Accountant') AND NOT is_owner"
    )


def downgrade():
    op.execute("DELETE FROM role_grants WHERE permission = 'action.resolve_fiscal'")
    with op.batch_alter_table("outgoing_emails", schema=None) as batch_op:
        batch_op.drop_column("attachments")

    with op.batch_alter_table("merchants", schema=None) as batch_op:
        batch_op.drop_column("default_pct_code")
        batch_op.drop_column("fbr_token")
        batch_op.drop_column("fiscal_environment")
        batch_op.drop_column("fiscal_backend")

    with op.batch_alter_table("fiscal_documents", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_fiscal_documents_resolved_by_id_users"), type_="foreignkey")
        batch_op.drop_index("ix_fiscal_documents_status_next_attempt_at")
        batch_op.drop_column("resolution_note")
        batch_op.drop_column("resolved_by_id")
        batch_op.drop_column("resolved_at")
        batch_op.drop_column("alerted_at")
        batch_op.drop_column("last_error")
        batch_op.drop_column("last_attempt_at")
        batch_op.drop_column("sending_since")
        batch_op.drop_column("next_attempt_at")
        batch_op.drop_column("offline_issued")
        batch_op.drop_column("environment")
        batch_op.drop_column("pos_id")

    with op.batch_alter_table("counters", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_counters_merchant_id_fbr_pos_id"), type_="unique")
        batch_op.drop_column("fbr_token")
        batch_op.drop_column("fbr_pos_id")
        batch_op.drop_column("fbr_enabled")

    with op.batch_alter_table("fiscal_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fiscal_attempts_merchant_id"))
        batch_op.drop_index(batch_op.f("ix_fiscal_attempts_document_id"))

    op.drop_table("fiscal_attempts")
