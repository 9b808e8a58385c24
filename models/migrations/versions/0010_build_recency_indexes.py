"""builds: indexes on updated_at and (state, updated_at) for the status site's recency reads

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 02:20:00.000000
"""

from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('builds', schema=None) as batch_op:
        batch_op.create_index('ix_builds_updated_at', ['updated_at'], unique=False)
        batch_op.create_index('ix_builds_state_updated_at', ['state', 'updated_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('builds', schema=None) as batch_op:
        batch_op.drop_index('ix_builds_state_updated_at')
        batch_op.drop_index('ix_builds_updated_at')
