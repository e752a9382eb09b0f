"""optimistic concurrency and OIDC accounts: a version number on edited equipment, and the table
that maps an e-mail address signed in through OIDC to a role and center

Revision ID: 0007_concurrency_and_oidc
Revises: 0006_data_version
Create Date: 2026-12-02 00:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007_concurrency_and_oidc"
down_revision: str | None = "0006_data_version"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("equipment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    op.create_table(
        "oidc_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("center_id", sa.Integer(), nullable=True),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["center_id"], ["center.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("oidc_account", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_oidc_account_email"), ["email"], unique=True)
        batch_op.create_index(batch_op.f("ix_oidc_account_center_id"), ["center_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("oidc_account", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oidc_account_center_id"))
        batch_op.drop_index(batch_op.f("ix_oidc_account_email"))
    op.drop_table("oidc_account")
    with op.batch_alter_table("equipment", schema=None) as batch_op:
        batch_op.drop_column("version")
