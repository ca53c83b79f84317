"""operator_day: daily productivity aggregates per operator (issue 19)

Revision ID: i19_operator_day
Revises: i16_security
"""
from alembic import op
import sqlalchemy as sa

import wms.db  # noqa: F401  (custom column types such as UTCDateTime)


revision = 'i19_operator_day'
down_revision = 'i16_security'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('operator_day',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('scans', sa.Integer(), nullable=False),
    sa.Column('lines', sa.Integer(), nullable=False),
    sa.Column('units', sa.Integer(), nullable=False),
    sa.Column('active_seconds', sa.Integer(), nullable=False),
    sa.Column('first_at', wms.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_at', wms.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('refused', sa.Integer(), nullable=False),
    sa.Column('refusals', sa.JSON(), nullable=False),
    sa.Column('updated_at', wms.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_operator_day_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_operator_day')),
    sa.UniqueConstraint('day', 'user_id', name='uq_operator_day_day_user')
    )


def downgrade():
    op.drop_table('operator_day')
