"""data version: one row whose number every write raises, so every app instance's caches follow

Revision ID: 0006_data_version
Revises: 0005_capability_standards
Create Date: 2026-12-02 00:50:00
"""

from collections.abc import Sequence

import uuid

import sqlalchemy as sa
from alembic import op

revision: str = "0006_data_version"
down_revision: str | None = "0005_capability_standards"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "data_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("lineage", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    # a database created again at the same address starts a new lineage, so a process that cached
    # views of the old one under the same number cannot mistake them for the new one's
    op.bulk_insert(table, [{"id": 1, "version": 1, "lineage": uuid.uuid4().hex}])


def downgrade() -> None:
    op.drop_table("data_version")
