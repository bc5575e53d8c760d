"""Staff rosters: shift templates per branch (local start and end times, days, coverage target), roster weeks
(draft until published, what each member was last told) and the members rostered on each shift and day.

Revision ID: eb1fdfa770ee
Revises: de289ba5cd06
Create Date: 2026-12-04 16:42:04.518926

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "eb1fdfa770ee"
down_revision = "de289ba5cd06"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "shift_templates",
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("end_time", sa.Time(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("coverage_target", sa.Integer(), nullable=True),
        sa.Column("coverage_role_id", sa.Integer(), nullable=True),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branches.id"], name=op.f("fk_shift_templates_branch_id_branches"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["coverage_role_id"],
            ["roles.id"],
            name=op.f("fk_shift_templates_coverage_role_id_roles"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f("fk_shift_templates_merchant_id_merchants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shift_templates")),
        sa.UniqueConstraint("branch_id", "name", name=op.f("uq_shift_templates_branch_id_name")),
    )
    with op.batch_alter_table("shift_templates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shift_templates_merchant_id"), ["merchant_id"], unique=False)

    op.create_table(
        "roster_weeks",
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_shifts", sa.JSON(), nullable=True),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branches.id"], name=op.f("fk_roster_weeks_branch_id_branches"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f("fk_roster_weeks_merchant_id_merchants"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["published_by_id"], ["users.id"], name=op.f("fk_roster_weeks_published_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roster_weeks")),
        sa.UniqueConstraint("branch_id", "week_start", name=op.f("uq_roster_weeks_branch_id_week_start")),
    )
    with op.batch_alter_table("roster_weeks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_roster_weeks_merchant_id"), ["merchant_id"], unique=False)

    op.create_table(
        "roster_assignments",
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("week_id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("work_date", sa.Date(), nullable=False),
        sa.Column("shift_name", sa.String(length=60), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branches.id"], name=op.f("fk_roster_assignments_branch_id_branches"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_roster_assignments_created_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["merchants.id"],
            name=op.f("fk_roster_assignments_merchant_id_merchants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["shift_templates.id"],
            name=op.f("fk_roster_assignments_template_id_shift_templates"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_roster_assignments_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["week_id"],
            ["roster_weeks.id"],
            name=op.f("fk_roster_assignments_week_id_roster_weeks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roster_assignments")),
        sa.UniqueConstraint(
            "template_id", "work_date", "user_id", name=op.f("uq_roster_assignments_template_id_work_date_user_id")
        ),
    )
    with op.batch_alter_table("roster_assignments", schema=None) as batch_op:
        batch_op.create_index("ix_roster_assignments_branch_starts", ["branch_id", "starts_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_roster_assignments_merchant_id"), ["merchant_id"], unique=False)
        batch_op.create_index("ix_roster_assignments_user_starts", ["user_id", "starts_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_roster_assignments_week_id"), ["week_id"], unique=False)


def downgrade():
    with op.batch_alter_table("roster_assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roster_assignments_week_id"))
        batch_op.drop_index("ix_roster_assignments_user_starts")
        batch_op.drop_index(batch_op.f("ix_roster_assignments_merchant_id"))
        batch_op.drop_index("ix_roster_assignments_branch_starts")

    op.drop_table("roster_assignments")
    with op.batch_alter_table("roster_weeks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roster_weeks_merchant_id"))

    op.drop_table("roster_weeks")
    with op.batch_alter_table("shift_templates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shift_templates_merchant_id"))

    op.drop_table("shift_templates")
