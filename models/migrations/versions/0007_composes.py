"""composes: composes, their contents and transitions

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 23:20:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('composes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('origin', sa.String(length=16), nullable=False),
    sa.Column('external_id', sa.String(length=255), nullable=True),
    sa.Column('owner', sa.String(length=255), nullable=False),
    sa.Column('source_type', sa.String(length=16), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('koji_event', sa.BigInteger(), nullable=True),
    sa.Column('packages', sa.JSON(), nullable=False),
    sa.Column('arches', sa.JSON(), nullable=False),
    sa.Column('sigkeys', sa.JSON(), nullable=False),
    sa.Column('flags', sa.JSON(), nullable=False),
    sa.Column('results', sa.JSON(), nullable=False),
    sa.Column('label', sa.String(length=255), nullable=True),
    sa.Column('compose_type', sa.String(length=32), nullable=True),
    sa.Column('release', sa.String(length=64), nullable=True),
    sa.Column('warnings', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('state_reason', sa.Text(), nullable=False),
    sa.Column('time_submitted', sa.DateTime(), nullable=False),
    sa.Column('time_started', sa.DateTime(), nullable=True),
    sa.Column('time_done', sa.DateTime(), nullable=True),
    sa.Column('time_removed', sa.DateTime(), nullable=True),
    sa.Column('time_to_expire', sa.DateTime(), nullable=True),
    sa.Column('removed_by', sa.String(length=255), nullable=True),
    sa.Column('reused_id', sa.Integer(), nullable=True),
    sa.Column('result_repo_dir', sa.Text(), nullable=True),
    sa.Column('result_repo_url', sa.Text(), nullable=True),
    sa.Column('result_repofile', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("origin != 'conveyor' OR time_to_expire IS NOT NULL", name=op.f('ck_composes_ours_expire')),
    sa.CheckConstraint("origin = 'conveyor' OR external_id IS NOT NULL", name=op.f('ck_composes_external_has_id')),
    sa.CheckConstraint("origin IN ('conveyor', 'odcs', 'pungi')", name=op.f('ck_composes_origin_known')),
    sa.CheckConstraint("source_type IN ('build', 'module', 'pulp', 'pungi_compose', 'raw_config', 'repo', 'tag')", name=op.f('ck_composes_source_type_known')),
    sa.CheckConstraint("state != 'done' OR time_done IS NOT NULL", name=op.f('ck_composes_done_has_time')),
    sa.CheckConstraint("state != 'failed' OR state_reason != ''", name=op.f('ck_composes_failed_has_reason')),
    sa.CheckConstraint("state != 'generating' OR time_started IS NOT NULL", name=op.f('ck_composes_generating_has_start')),
    sa.CheckConstraint("state != 'removed' OR time_removed IS NOT NULL", name=op.f('ck_composes_removed_has_time')),
    sa.CheckConstraint("state IN ('done', 'failed', 'generating', 'removed', 'wait')", name=op.f('ck_composes_state_known')),
    sa.ForeignKeyConstraint(['reused_id'], ['composes.id'], name=op.f('fk_composes_reused_id_composes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_composes')),
    sa.UniqueConstraint('origin', 'external_id', name='uq_composes_origin_external_id')
    )
    op.create_index('ix_composes_state', 'composes', ['state'], unique=False)
    op.create_index('ix_composes_time_to_expire', 'composes', ['time_to_expire'], unique=False)
    op.create_table('compose_contents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('compose_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('artifact', sa.String(length=512), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('arch', sa.String(length=32), nullable=True),
    sa.CheckConstraint("kind != 'rpm' OR arch IS NOT NULL", name=op.f('ck_compose_contents_rpm_has_arch')),
    sa.CheckConstraint("kind IN ('module', 'rpm')", name=op.f('ck_compose_contents_kind_known')),
    sa.ForeignKeyConstraint(['compose_id'], ['composes.id'], name=op.f('fk_compose_contents_compose_id_composes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compose_contents'))
    )
    op.create_index('ix_compose_contents_artifact', 'compose_contents', ['kind', 'artifact'], unique=False)
    op.create_index(op.f('ix_compose_contents_compose_id'), 'compose_contents', ['compose_id'], unique=False)
    op.create_index('ix_compose_contents_name', 'compose_contents', ['kind', 'name'], unique=False)
    op.create_table('compose_transitions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('compose_id', sa.Integer(), nullable=False),
    sa.Column('from_state', sa.String(length=16), nullable=True),
    sa.Column('to_state', sa.String(length=16), nullable=False),
    sa.Column('cause', sa.String(length=255), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['compose_id'], ['composes.id'], name=op.f('fk_compose_transitions_compose_id_composes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compose_transitions'))
    )
    op.create_index(op.f('ix_compose_transitions_compose_id'), 'compose_transitions', ['compose_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_compose_transitions_compose_id'), table_name='compose_transitions')
    op.drop_table('compose_transitions')
    op.drop_index('ix_compose_contents_name', table_name='compose_contents')
    op.drop_index(op.f('ix_compose_contents_compose_id'), table_name='compose_contents')
    op.drop_index('ix_compose_contents_artifact', table_name='compose_contents')
    op.drop_table('compose_contents')
    op.drop_index('ix_composes_time_to_expire', table_name='composes')
    op.drop_index('ix_composes_state', table_name='composes')
    op.drop_table('composes')
