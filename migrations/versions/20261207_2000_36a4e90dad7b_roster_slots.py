"""Roster slots: the roster's "shift templates" are renamed roster slots (a shift is a cashier's shift only).

shift_templates → roster_slots (its sequence, keys, constraints and index with it); in roster_assignments
template_id → slot_id and shift_name → slot_name; in roster_weeks published_shifts → published_assignments.
No data changes. PostgreSQL renames in place; SQLite, which cannot rename a constraint, copies each table into one
with the new names (batch mode).

Revision ID: 36a4e90dad7b
Revises: 5b1e7c2d9a04
Create Date: 2026-12-07 20:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "36a4e90dad7b"
down_revision = "5b1e7c2d9a04"
branch_labels = None
depends_on = None

OLD, NEW = "shift_templates", "roster_slots"
# (old, new) names; the column renames are read from these too.
SLOT_CONSTRAINTS = [
    ("pk_shift_templates", "pk_roster_slots"),
    ("uq_shift_templates_branch_id_name", "uq_roster_slots_branch_id_name"),
    ("fk_shift_templates_branch_id_branches", "fk_roster_slots_branch_id_branches"),
    ("fk_shift_templates_coverage_role_id_roles", "fk_roster_slots_coverage_role_id_roles"),
    ("fk_shift_templates_merchant_id_merchants", "fk_roster_slots_merchant_id_merchants"),
]
SLOT_INDEX = ("ix_shift_templates_merchant_id", "ix_roster_slots_merchant_id")
ASSIGNMENT_CONSTRAINTS = [
    ("fk_roster_assignments_template_id_shift_templates", "fk_roster_assignments_slot_id_roster_slots"),
    ("uq_roster_assignments_template_id_work_date_user_id", "uq_roster_assignments_slot_id_work_date_user_id"),
]
ASSIGNMENT_COLUMNS = [("template_id", "slot_id"), ("shift_name", "slot_name")]
WEEK_COLUMNS = [("published_shifts", "published_assignments")]


def _slots_table(table: str, names: dict[str, str]) -> sa.Table:
    """The slots table as it is in SQLite before the copy, with the constraint names it should have after."""
    return sa.Table(
        table,
        sa.MetaData(),
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
        sa.ForeignKeyConstraint(["branch_id"], ["branches.id"], name=names["fk_branch"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["coverage_role_id"], ["roles.id"], name=names["fk_role"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"], name=names["fk_merchant"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=names["pk"]),
        sa.UniqueConstraint("branch_id", "name", name=names["uq"]),
        sa.Index(names["ix"], "merchant_id"),
    )


def _assignments_table(slot: str, slot_name: str, slots_table: str, names: dict[str, str]) -> sa.Table:
    """roster_assignments as it is in SQLite before the copy (`slot`, `slot_name`: its column names then), with the
    names its constraints should have after."""
    return sa.Table(
        "roster_assignments",
        sa.MetaData(),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("week_id", sa.Integer(), nullable=False),
        sa.Column(slot, sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("work_date", sa.Date(), nullable=False),
        sa.Column(slot_name, sa.String(length=60), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branches.id"], name="fk_roster_assignments_branch_id_branches", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name="fk_roster_assignments_created_by_id_users", ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name="fk_roster_assignments_merchant_id_merchants", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint([slot], [f"{slots_table}.id"], name=names["fk_slot"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_roster_assignments_user_id_users", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["week_id"], ["roster_weeks.id"], name="fk_roster_assignments_week_id_roster_weeks", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_roster_assignments"),
        sa.UniqueConstraint(slot, "work_date", "user_id", name=names["uq"]),
        sa.Index("ix_roster_assignments_branch_starts", "branch_id", "starts_at"),
        sa.Index("ix_roster_assignments_merchant_id", "merchant_id"),
        sa.Index("ix_roster_assignments_user_starts", "user_id", "starts_at"),
        sa.Index("ix_roster_assignments_week_id", "week_id"),
    )


def _slot_names(pairs: list[tuple[str, str]], index: str) -> dict[str, str]:
    pk, uq, fk_branch, fk_role, fk_merchant = pairs
    return {"pk": pk, "uq": uq, "fk_branch": fk_branch, "fk_role": fk_role, "fk_merchant": fk_merchant, "ix": index}


def _rename(old_table: str, new_table: str, to_new: bool) -> None:
    """Rename the table, its columns, constraints and index: to the new names (`to_new`) or back."""
    pick = (lambda pair: pair) if to_new else (lambda pair: pair[::-1])
    slot_constraints = [pick(p) for p in SLOT_CONSTRAINTS]
    index_from, index_to = pick(SLOT_INDEX)
    assignment_constraints = [pick(p) for p in ASSIGNMENT_CONSTRAINTS]
    assignment_columns = [pick(p) for p in ASSIGNMENT_COLUMNS]
    week_columns = [pick(p) for p in WEEK_COLUMNS]

    op.rename_table(old_table, new_table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER SEQUENCE {old_table}_id_seq RENAME TO {new_table}_id_seq")
        for before, after in slot_constraints:
            op.execute(f"ALTER TABLE {new_table} RENAME CONSTRAINT {before} TO {after}")
        op.execute(f"ALTER INDEX {index_from} RENAME TO {index_to}")
        with op.batch_alter_table("roster_assignments", schema=None) as batch_op:
            for before, after in assignment_columns:
                batch_op.alter_column(before, new_column_name=after)
        for before, after in assignment_constraints:
            op.execute(f"ALTER TABLE roster_assignments RENAME CONSTRAINT {before} TO {after}")
    else:
        # SQLite keeps constraint names in each table's CREATE statement: copy the tables into ones with the new names.
        slot_names = _slot_names([after for _, after in slot_constraints], index_to)
        with op.batch_alter_table(
            new_table, recreate="always", copy_from=_slots_table(new_table, slot_names)
        ) as batch_op:
            pass
        (slot_before, slot_after), (name_before, name_after) = assignment_columns
        assignment_names = {"fk_slot": assignment_constraints[0][1], "uq": assignment_constraints[1][1]}
        with op.batch_alter_table(
            "roster_assignments",
            recreate="always",
            copy_from=_assignments_table(slot_before, name_before, new_table, assignment_names),
        ) as batch_op:
            batch_op.alter_column(
                slot_before, new_column_name=slot_after, existing_type=sa.Integer(), existing_nullable=True
            )
            batch_op.alter_column(
                name_before, new_column_name=name_after, existing_type=sa.String(length=60), existing_nullable=False
            )
    with op.batch_alter_table("roster_weeks", schema=None) as batch_op:
        for before, after in week_columns:
            batch_op.alter_column(before, new_column_name=after, existing_type=sa.JSON(), existing_nullable=True)


def upgrade():
    _rename(OLD, NEW, to_new=True)


def downgrade():
    _rename(NEW, OLD, to_new=False)
