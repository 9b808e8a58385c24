"""ci_results: CI test results and gating decisions

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 23:20:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('test_results',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.String(length=255), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('artifact_type', sa.String(length=32), nullable=False),
    sa.Column('artifact', sa.String(length=512), nullable=False),
    sa.Column('testcase', sa.String(length=255), nullable=False),
    sa.Column('outcome', sa.String(length=24), nullable=False),
    sa.Column('raw_outcome', sa.String(length=64), nullable=False),
    sa.Column('branch', sa.String(length=255), nullable=True),
    sa.Column('ref_url', sa.Text(), nullable=True),
    sa.Column('result_at', sa.DateTime(), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("artifact <> '' AND testcase <> ''", name=op.f('ck_test_results_names_not_empty')),
    sa.CheckConstraint("artifact_type IN ('bodhi_update', 'compose', 'container_image', 'dist_git_commit', 'koji_build', 'koji_task', 'module', 'other', 'pull_request')", name=op.f('ck_test_results_type_known')),
    sa.CheckConstraint("outcome IN ('error', 'failed', 'info', 'needs_inspection', 'not_applicable', 'passed', 'queued', 'running')", name=op.f('ck_test_results_outcome_known')),
    sa.CheckConstraint("source IN ('ci-spec', 'resultsdb', 'taskotron')", name=op.f('ck_test_results_source_known')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_test_results')),
    sa.UniqueConstraint('message_id', name=op.f('uq_test_results_message_id'))
    )
    op.create_index(op.f('ix_test_results_subject'), 'test_results', ['artifact_type', 'artifact', 'testcase'], unique=False)
    op.create_table('gating_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('module_build_id', sa.Integer(), nullable=True),
    sa.Column('nvr', sa.String(length=512), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('missing', sa.JSON(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("outcome IN ('failed', 'passed', 'waiting')", name=op.f('ck_gating_decisions_outcome_known')),
    sa.CheckConstraint('(module_build_id IS NULL) <> (nvr IS NULL)', name=op.f('ck_gating_decisions_one_subject')),
    sa.ForeignKeyConstraint(['module_build_id'], ['module_builds.id'], name=op.f('fk_gating_decisions_module_build_id_module_builds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gating_decisions')),
    sa.UniqueConstraint('module_build_id', name=op.f('uq_gating_decisions_module_build_id')),
    sa.UniqueConstraint('nvr', name=op.f('uq_gating_decisions_nvr'))
    )


def downgrade() -> None:
    op.drop_table('gating_decisions')
    op.drop_index(op.f('ix_test_results_subject'), table_name='test_results')
    op.drop_table('test_results')
