"""cron_runs: the last run of each cron job (a heartbeat for operators)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 23:40:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('cron_runs',
    sa.Column('job', sa.String(length=64), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=False),
    sa.Column('outcome', sa.String(length=8), nullable=False),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('last_ok_at', sa.DateTime(), nullable=True),
    sa.Column('runs', sa.Integer(), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.CheckConstraint("outcome IN ('ok', 'error')", name=op.f('ck_cron_runs_outcome')),
    sa.CheckConstraint("outcome = 'ok' OR error IS NOT NULL", name=op.f('ck_cron_runs_error_has_text')),
    sa.CheckConstraint('runs >= 1 AND failures >= 0 AND failures <= runs', name=op.f('ck_cron_runs_counts')),
    sa.CheckConstraint('seconds >= 0', name=op.f('ck_cron_runs_seconds')),
    sa.PrimaryKeyConstraint('job', name=op.f('pk_cron_runs'))
    )


def downgrade() -> None:
    op.drop_table('cron_runs')
