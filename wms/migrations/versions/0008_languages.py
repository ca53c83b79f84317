"""Languages (issue 18): a user's screen language, an order's customer language, a site's zone.

Revision ID: i18_languages
Revises: i17_demo_data
"""
from alembic import op
import sqlalchemy as sa

revision = 'i18_languages'
down_revision = 'i17_demo_data'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('user_account', sa.Column('language', sa.String(length=8), nullable=True))
    op.add_column('customer_order', sa.Column('language', sa.String(length=8), nullable=True))
    op.add_column('warehouse', sa.Column('timezone', sa.String(length=64), nullable=True))


def downgrade():
    op.drop_column('warehouse', 'timezone')
    op.drop_column('customer_order', 'language')
    op.drop_column('user_account', 'language')
