"""query indexes: each item's latest certificate by a day, and its out-of-service spans

A view of a past day finds each item's latest certificate up to that day (one seek per item on
(equipment_id, calibrated_on) instead of ranking every certificate), and every view asks whether an
item was retired or in repair on the day (one seek on (equipment_id, status, start_on)).

Revision ID: 0009_query_indexes
Revises: 0008_equipment_status_periods
Create Date: 2026-12-02 04:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009_query_indexes"
down_revision: str | None = "0008_equipment_status_periods"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_calibration_record_equipment_calibrated_on",
        "calibration_record",
        ["equipment_id", "calibrated_on"],
        unique=False,
    )
    op.create_index(
        "ix_equipment_status_period_equipment_status_start",
        "equipment_status_period",
        ["equipment_id", "status", "start_on"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_equipment_status_period_equipment_status_start", table_name="equipment_status_period")
    op.drop_index("ix_calibration_record_equipment_calibrated_on", table_name="calibration_record")
