"""pdc_updates: the queue towards PDC

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 23:20:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('pdc_updates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('key', sa.String(length=767), nullable=False),
    sa.Column('pending_key', sa.String(length=767), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("(state = 'pending' AND pending_key IS NOT NULL AND pending_key = key) OR (state <> 'pending' AND pending_key IS NULL)", name=op.f('ck_pdc_updates_one_pending_per_key')),
    sa.CheckConstraint("attempts >= 0", name=op.f('ck_pdc_updates_attempts_not_negative')),
    sa.CheckConstraint("kind IN ('compose.import', 'module.upsert', 'relationship.add', 'relationship.remove')", name=op.f('ck_pdc_updates_kind_known')),
    sa.CheckConstraint("state <> 'failed' OR last_error IS NOT NULL", name=op.f('ck_pdc_updates_failed_has_error')),
    sa.CheckConstraint("state <> 'sent' OR sent_at IS NOT NULL", name=op.f('ck_pdc_updates_sent_has_time')),
    sa.CheckConstraint("state IN ('failed', 'pending', 'sent')", name=op.f('ck_pdc_updates_state_known')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pdc_updates')),
    sa.UniqueConstraint('pending_key', name=op.f('uq_pdc_updates_pending_key'))
    )
    op.create_index('ix_pdc_updates_due', 'pdc_updates', ['state', 'next_attempt_at'], unique=False)
    op.create_index('ix_pdc_updates_key', 'pdc_updates', ['key', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_pdc_updates_key', table_name='pdc_updates')
    op.drop_index('ix_pdc_updates_due', table_name='pdc_updates')
    op.drop_table('pdc_updates')
