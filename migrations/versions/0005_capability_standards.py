"""capability standards, account e-mail: which standards support each capability, and where an
account's due-work notices go

Revision ID: 0005_capability_standards
Revises: 0004_login_security
Create Date: 2026-12-01 22:35:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005_capability_standards"
down_revision: str | None = "0004_login_security"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "capability_standard",
        sa.Column("capability_id", sa.Integer(), nullable=False),
        sa.Column("equipment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["capability_id"], ["capability.id"]),
        sa.ForeignKeyConstraint(["equipment_id"], ["equipment.id"]),
        sa.PrimaryKeyConstraint("capability_id", "equipment_id"),
    )
    with op.batch_alter_table("capability_standard", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_capability_standard_equipment_id"), ["equipment_id"], unique=False)
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_column("email")
    with op.batch_alter_table("capability_standard", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_capability_standard_equipment_id"))
    op.drop_table("capability_standard")
