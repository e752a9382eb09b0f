"""equipment status periods: when each item was in repair or retired, so past days are counted right

Existing retired or in-repair equipment gets one open period from the day it was acquired: the day
its status changed was never recorded, so past views keep counting it as they did before (not held,
or in repair, since acquisition). A demo database seeded again gets the exact periods.

Revision ID: 0008_equipment_status_periods
Revises: 0007_concurrency_and_oidc
Create Date: 2026-12-02 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008_equipment_status_periods"
down_revision: str | None = "0007_concurrency_and_oidc"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "equipment_status_period",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("equipment_id", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("start_on", sa.Date(), nullable=False),
        sa.Column("end_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["equipment_id"], ["equipment.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("equipment_status_period", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_equipment_status_period_equipment_id"), ["equipment_id"], unique=False)
    op.execute(
        "INSERT INTO equipment_status_period (equipment_id, status, start_on, end_on) "
        "SELECT id, status, acquired_on, NULL FROM equipment WHERE status IN ('repair', 'retired')"
    )


def downgrade() -> None:
    with op.batch_alter_table("equipment_status_period", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_equipment_status_period_equipment_id"))
    op.drop_table("equipment_status_period")
