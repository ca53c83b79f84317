"""Orders routed at import (issue 14): a supervisor's re-route is pinned (allocation keeps it).

Revision ID: i14_site_pinned
Revises: i14_transfer_parcels
"""
from alembic import op
import sqlalchemy as sa

import wms.db  # noqa: F401  (custom column types such as UTCDateTime)

revision = 'i14_site_pinned'
down_revision = 'i14_transfer_parcels'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('customer_order', sa.Column('site_pinned', sa.Boolean(), server_default=sa.false(),
                                              nullable=False))


def downgrade():
    with op.batch_alter_table('customer_order', schema=None) as batch_op:
        batch_op.drop_column('site_pinned')
