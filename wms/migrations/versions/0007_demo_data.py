"""Demo data is marked: product.is_demo and customer_order.is_demo (issue 17).

Revision ID: i17_demo_data
Revises: i15_returns
"""
from alembic import op
import sqlalchemy as sa

revision = 'i17_demo_data'
down_revision = 'i15_returns'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN (a constant default) works on both databases; a batch copy of the
    # table would trip SQLite's foreign keys.
    op.add_column('product', sa.Column('is_demo', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column('customer_order', sa.Column('is_demo', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    op.drop_column('customer_order', 'is_demo')
    op.drop_column('product', 'is_demo')
