"""module_knowledge: module streams, their dependencies and components, per commit

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 23:20:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('module_stream_definitions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('stream', sa.String(length=255), nullable=False),
    sa.Column('source_kind', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=128), nullable=False),
    sa.Column('origin', sa.Text(), nullable=False),
    sa.Column('mdversion', sa.Integer(), nullable=False),
    sa.Column('eol', sa.Date(), nullable=True),
    sa.Column('servicelevels', sa.JSON(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("name <> '' AND stream <> '' AND source <> ''", name=op.f('ck_module_stream_definitions_identity_set')),
    sa.CheckConstraint("source_kind IN ('build', 'commit', 'file')", name=op.f('ck_module_stream_definitions_source_kind')),
    sa.CheckConstraint('mdversion IN (1, 2, 3)', name=op.f('ck_module_stream_definitions_mdversion_known')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_module_stream_definitions')),
    sa.UniqueConstraint('name', 'stream', 'source', name='uq_module_stream_definitions_source')
    )
    op.create_index('ix_module_stream_definitions_name_stream', 'module_stream_definitions', ['name', 'stream', 'id'], unique=False)
    op.create_table('module_component_refs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('definition_id', sa.Integer(), nullable=False),
    sa.Column('rpm', sa.String(length=255), nullable=False),
    sa.Column('ref', sa.String(length=255), nullable=True),
    sa.CheckConstraint("rpm <> ''", name=op.f('ck_module_component_refs_rpm_set')),
    sa.ForeignKeyConstraint(['definition_id'], ['module_stream_definitions.id'], name=op.f('fk_module_component_refs_definition_id_module_stream_definitions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_module_component_refs')),
    sa.UniqueConstraint('definition_id', 'rpm', name='uq_module_component_refs_rpm')
    )
    op.create_index(op.f('ix_module_component_refs_definition_id'), 'module_component_refs', ['definition_id'], unique=False)
    op.create_index(op.f('ix_module_component_refs_rpm'), 'module_component_refs', ['rpm'], unique=False)
    op.create_table('module_dependencies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('definition_id', sa.Integer(), nullable=False),
    sa.Column('block', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('module', sa.String(length=255), nullable=False),
    sa.Column('streams', sa.JSON(), nullable=False),
    sa.CheckConstraint("kind IN ('buildrequires', 'requires')", name=op.f('ck_module_dependencies_kind_known')),
    sa.CheckConstraint("module <> ''", name=op.f('ck_module_dependencies_module_set')),
    sa.CheckConstraint('block >= 0', name=op.f('ck_module_dependencies_block_not_negative')),
    sa.ForeignKeyConstraint(['definition_id'], ['module_stream_definitions.id'], name=op.f('fk_module_dependencies_definition_id_module_stream_definitions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_module_dependencies')),
    sa.UniqueConstraint('definition_id', 'block', 'kind', 'module', name='uq_module_dependencies')
    )
    op.create_index(op.f('ix_module_dependencies_definition_id'), 'module_dependencies', ['definition_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_module_dependencies_definition_id'), table_name='module_dependencies')
    op.drop_table('module_dependencies')
    op.drop_index(op.f('ix_module_component_refs_rpm'), table_name='module_component_refs')
    op.drop_index(op.f('ix_module_component_refs_definition_id'), table_name='module_component_refs')
    op.drop_table('module_component_refs')
    op.drop_index('ix_module_stream_definitions_name_stream', table_name='module_stream_definitions')
    op.drop_table('module_stream_definitions')
