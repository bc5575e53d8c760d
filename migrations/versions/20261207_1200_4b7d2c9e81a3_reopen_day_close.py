"""Reopening a day close: who reopened it, when and why; a reopened close stays as the day's history, so only the
standing (not reopened) close of a branch and day is unique.

Revision ID: 4b7d2c9e81a3
Revises: b6e9028e7d55
Create Date: 2026-12-07 12:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "4b7d2c9e81a3"
down_revision = "b6e9028e7d55"
branch_labels = None
depends_on = None

STANDING = sa.text("reopened_at IS NULL")


def upgrade():
    with op.batch_alter_table("day_closes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reopened_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("reopened_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("reopen_reason", sa.String(length=300), server_default="", nullable=False))
        batch_op.create_foreign_key(batch_op.f("fk_day_closes_reopened_by_id_users"), "users", ["reopened_by_id"], ["id"])
        batch_op.drop_constraint(batch_op.f("uq_day_closes_branch_id_business_date"), type_="unique")
        batch_op.create_index("ix_day_closes_branch_day", ["branch_id", "business_date"], unique=False)
        batch_op.create_index(
            "uq_day_closes_standing",
            ["branch_id", "business_date"],
            unique=True,
            postgresql_where=STANDING,
            sqlite_where=STANDING,
        )


def downgrade():
    # The history of reopened closes goes with the columns; the standing close of each day stays.
    op.execute("DELETE FROM day_closes WHERE reopened_at IS NOT NULL")
    with op.batch_alter_table("day_closes", schema=None) as batch_op:
        batch_op.drop_index("uq_day_closes_standing", postgresql_where=STANDING, sqlite_where=STANDING)
        batch_op.drop_index("ix_day_closes_branch_day")
        batch_op.create_unique_constraint(
            batch_op.f("uq_day_closes_branch_id_business_date"), ["branch_id", "business_date"]
        )
        batch_op.drop_constraint(batch_op.f("fk_day_closes_reopened_by_id_users"), type_="foreignkey")
        batch_op.drop_column("reopen_reason")
        batch_op.drop_column("reopened_by_id")
        batch_op.drop_column("reopened_at")
