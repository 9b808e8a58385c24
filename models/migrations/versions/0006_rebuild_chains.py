"""rebuild_chains: rebuild chains, their items and their traces

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 23:20:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rebuild_chains',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trigger_kind', sa.String(length=16), nullable=False),
    sa.Column('trigger_namespace', sa.String(length=64), nullable=True),
    sa.Column('trigger_name', sa.String(length=255), nullable=True),
    sa.Column('trigger_branch', sa.String(length=255), nullable=True),
    sa.Column('trigger_commit', sa.String(length=64), nullable=True),
    sa.Column('trigger_module', sa.String(length=511), nullable=True),
    sa.Column('trigger_module_build_id', sa.Integer(), nullable=True),
    sa.Column('requester', sa.String(length=255), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('current_tier', sa.Integer(), nullable=False),
    sa.Column('failed_tier', sa.Integer(), nullable=True),
    sa.Column('superseded_by_id', sa.Integer(), nullable=True),
    sa.Column('module_version', sa.BigInteger(), nullable=False),
    sa.Column('cycles', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('completed_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("state != 'failed' OR failed_tier IS NOT NULL", name=op.f('ck_rebuild_chains_failed_has_tier')),
    sa.CheckConstraint("state IN ('canceled', 'complete', 'failed', 'planned', 'running')", name=op.f('ck_rebuild_chains_state_known')),
    sa.CheckConstraint("superseded_by_id IS NULL OR state = 'canceled'", name=op.f('ck_rebuild_chains_superseded_is_canceled')),
    sa.CheckConstraint("trigger_kind IN ('manual', 'module', 'push')", name=op.f('ck_rebuild_chains_trigger_known')),
    sa.CheckConstraint('current_tier >= 0', name=op.f('ck_rebuild_chains_tier_not_negative')),
    sa.CheckConstraint('trigger_module IS NOT NULL OR (trigger_name IS NOT NULL AND trigger_branch IS NOT NULL)', name=op.f('ck_rebuild_chains_trigger_named')),
    sa.ForeignKeyConstraint(['superseded_by_id'], ['rebuild_chains.id'], name=op.f('fk_rebuild_chains_superseded_by_id_rebuild_chains')),
    sa.ForeignKeyConstraint(['trigger_module_build_id'], ['module_builds.id'], name=op.f('fk_rebuild_chains_trigger_module_build_id_module_builds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rebuild_chains')),
    sa.UniqueConstraint('trigger_module_build_id', name=op.f('uq_rebuild_chains_trigger_module_build_id'))
    )
    with op.batch_alter_table('rebuild_chains', schema=None) as batch_op:
        batch_op.create_index('ix_rebuild_chains_state', ['state'], unique=False)
        batch_op.create_index('ix_rebuild_chains_trigger', ['trigger_namespace', 'trigger_name', 'trigger_branch'], unique=False)

    op.create_table('chain_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('chain_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('stream', sa.String(length=255), nullable=False),
    sa.Column('tier', sa.Integer(), nullable=False),
    sa.Column('module_build_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('owner', sa.String(length=255), nullable=False),
    sa.CheckConstraint("state IN ('building', 'done', 'failed', 'passed', 'skipped', 'waiting')", name=op.f('ck_chain_items_state_known')),
    sa.CheckConstraint("state NOT IN ('building', 'done', 'passed') OR module_build_id IS NOT NULL", name=op.f('ck_chain_items_built_has_build')),
    sa.CheckConstraint('tier >= 1', name=op.f('ck_chain_items_tier_positive')),
    sa.ForeignKeyConstraint(['chain_id'], ['rebuild_chains.id'], name=op.f('fk_chain_items_chain_id_rebuild_chains')),
    sa.ForeignKeyConstraint(['module_build_id'], ['module_builds.id'], name=op.f('fk_chain_items_module_build_id_module_builds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chain_items')),
    sa.UniqueConstraint('chain_id', 'name', 'stream', name='uq_chain_items_module')
    )
    with op.batch_alter_table('chain_items', schema=None) as batch_op:
        batch_op.create_index('ix_chain_items_module_build_id', ['module_build_id'], unique=False)
        batch_op.create_index('ix_chain_items_stream', ['name', 'stream'], unique=False)

    op.create_table('chain_transitions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('chain_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('from_state', sa.String(length=16), nullable=True),
    sa.Column('to_state', sa.String(length=16), nullable=False),
    sa.Column('cause', sa.String(length=255), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['chain_id'], ['rebuild_chains.id'], name=op.f('fk_chain_transitions_chain_id_rebuild_chains')),
    sa.ForeignKeyConstraint(['item_id'], ['chain_items.id'], name=op.f('fk_chain_transitions_item_id_chain_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chain_transitions'))
    )
    with op.batch_alter_table('chain_transitions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chain_transitions_chain_id'), ['chain_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('chain_transitions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_chain_transitions_chain_id'))

    op.drop_table('chain_transitions')
    with op.batch_alter_table('chain_items', schema=None) as batch_op:
        batch_op.drop_index('ix_chain_items_stream')
        batch_op.drop_index('ix_chain_items_module_build_id')

    op.drop_table('chain_items')
    with op.batch_alter_table('rebuild_chains', schema=None) as batch_op:
        batch_op.drop_index('ix_rebuild_chains_trigger')
        batch_op.drop_index('ix_rebuild_chains_state')

    op.drop_table('rebuild_chains')
