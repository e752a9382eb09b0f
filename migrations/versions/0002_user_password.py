"""user password: password hashes for app users, the center each audit row concerns

Revision ID: 0002_user_password
Revises: 0001_initial
Create Date: 2026-11-25 10:28:31.860987
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0002_user_password'
down_revision: str | None = '0001_initial'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('password_hash', sqlmodel.sql.sqltypes.AutoString(length=256), nullable=True))

    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('center_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_audit_log_center_id'), ['center_id'], unique=False)
        batch_op.create_foreign_key('fk_audit_log_center_id_center', 'center', ['center_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_constraint('fk_audit_log_center_id_center', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_audit_log_center_id'))
        batch_op.drop_column('center_id')

    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_column('password_hash')

