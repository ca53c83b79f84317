"""Transfer parcels (issue 14 item 3): a transfer packed at its source into parcels with labels,
handed to a carrier's dispatch there (or to the source's own truck).

Revision ID: i14_transfer_parcels
Revises: i14_transfers
Create Date: 2026-11-28 11:20:00

"""
from alembic import op
import sqlalchemy as sa

import wms.db  # noqa: F401  (custom column types such as UTCDateTime)


# revision identifiers, used by Alembic.
revision = 'i14_transfer_parcels'
down_revision = 'i14_transfers'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('transfer_parcel',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('transfer_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('box_id', sa.Integer(), nullable=True),
    sa.Column('weight_g', sa.Integer(), nullable=True),
    sa.Column('carrier_id', sa.Integer(), nullable=True),
    sa.Column('tracking_number', sa.String(length=64), nullable=True),
    sa.Column('created_at', wms.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('dispatch_id', sa.Integer(), nullable=True),
    sa.Column('dispatched_at', wms.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('number > 0', name=op.f('ck_transfer_parcel_transfer_parcel_number_positive')),
    sa.ForeignKeyConstraint(['box_id'], ['box_size.id'], name=op.f('fk_transfer_parcel_box_id_box_size')),
    sa.ForeignKeyConstraint(['carrier_id'], ['carrier.id'], name=op.f('fk_transfer_parcel_carrier_id_carrier')),
    sa.ForeignKeyConstraint(['dispatch_id'], ['dispatch.id'], name=op.f('fk_transfer_parcel_dispatch_id_dispatch')),
    sa.ForeignKeyConstraint(['transfer_id'], ['transfer_order.id'], name=op.f('fk_transfer_parcel_transfer_id_transfer_order'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfer_parcel')),
    sa.UniqueConstraint('carrier_id', 'tracking_number', name='uq_transfer_parcel_carrier_tracking'),
    sa.UniqueConstraint('transfer_id', 'number', name='uq_transfer_parcel_number')
    )
    with op.batch_alter_table('transfer_parcel', schema=None) as batch_op:
        batch_op.create_index('ix_transfer_parcel_dispatch_id', ['dispatch_id'], unique=False)


def downgrade():
    with op.batch_alter_table('transfer_parcel', schema=None) as batch_op:
        batch_op.drop_index('ix_transfer_parcel_dispatch_id')
    op.drop_table('transfer_parcel')
