"""names by period, designation, dataset facts: center names before the 2025 merger, state
designation for verification, and the day a demo database describes

Revision ID: 0003_names_by_period
Revises: 0002_user_password
Create Date: 2026-12-01 21:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003_names_by_period"
down_revision: str | None = "0002_user_password"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "center_name_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("center_id", sa.Integer(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=False),
        sa.Column("name_vi", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("name_en", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(["center_id"], ["center.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("center_id", "valid_to"),
    )
    with op.batch_alter_table("center_name_history", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_center_name_history_center_id"), ["center_id"], unique=False)
    op.create_table(
        "dataset_info",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("capability", schema=None) as batch_op:
        batch_op.add_column(sa.Column("designated", sa.Boolean(), nullable=False, server_default=sa.false()))
    # A demo database seeded before this revision: only the seeder wrote demo agreements, and it
    # seeded "as of" the day of its newest certificate, so record that day as the one it describes.
    op.execute(
        "INSERT INTO dataset_info (key, value) "
        "SELECT 'demo_as_of', CAST(MAX(calibrated_on) AS VARCHAR(200)) FROM calibration_record "
        "WHERE EXISTS (SELECT 1 FROM agreement WHERE is_demo) HAVING MAX(calibrated_on) IS NOT NULL"
    )
    # verification capabilities of such a database were offered by designated centers
    op.execute("UPDATE capability SET designated = TRUE, accredited = FALSE WHERE service = 'verification' "
               "AND EXISTS (SELECT 1 FROM agreement WHERE is_demo)")


def downgrade() -> None:
    with op.batch_alter_table("capability", schema=None) as batch_op:
        batch_op.drop_column("designated")
    op.drop_table("dataset_info")
    with op.batch_alter_table("center_name_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_center_name_history_center_id"))
    op.drop_table("center_name_history")
