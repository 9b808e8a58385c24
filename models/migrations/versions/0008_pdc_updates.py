"""pdc_updates: the queue towards PDC

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 23:20:00.000000
"""

from alembic import op  # noqa: F401  (used once the tables land)
import sqlalchemy as sa  # noqa: F401


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
