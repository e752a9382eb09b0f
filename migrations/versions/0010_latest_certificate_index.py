"""latest certificate index: each item's latest certificate by a day read from the index alone

The index on (equipment_id, calibrated_on) found each item's certificates by a day but left the
tie on id to a sort and the due date to a fetch of the row: a past day's status at national scale
(1M certificates) spent seconds there. (equipment_id, calibrated_on, id, due_on) answers the whole
probe in the index, and, leading with the same columns, replaces the old one.

Revision ID: 0010_latest_certificate_index
Revises: 0009_query_indexes
Create Date: 2026-12-02 19:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010_latest_certificate_index"
down_revision: str | None = "0009_query_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_calibration_record_equipment_latest",
        "calibration_record",
        ["equipment_id", "calibrated_on", "id", "due_on"],
        unique=False,
    )
    op.drop_index("ix_calibration_record_equipment_calibrated_on", table_name="calibration_record")


def downgrade() -> None:
    op.create_index(
        "ix_calibration_record_equipment_calibrated_on",
        "calibration_record",
        ["equipment_id", "calibrated_on"],
        unique=False,
    )
    op.drop_index("ix_calibration_record_equipment_latest", table_name="calibration_record")
