"""Transfers between sites (issue 14 item 3): transfer orders, their lines and source-bin reservations.

In-transit stock sits in a location of kind TRANSIT (enum stored as a plain string: no DDL).

Revision ID: i14_transfers
Revises: 0009_sites
Create Date: 2026-11-28 08:38:44.677013

"""
from alembic import op
import sqlalchemy as sa

import wms.db  # noqa: F401  (custom column types such as UTCDateTime)


# revision identifiers, used by Alembic.
revision = 'i14_transfers'
down_revision = '0009_sites'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('transfer_order',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_warehouse_id', sa.Integer(), nullable=False),
    sa.Column('destination_warehouse_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('DRAFT', 'RELEASED', 'PICKING', 'SHIPPED', 'RECEIVED', 'CLOSED', 'CANCELLED', name='transferstatus', native_enum=False, length=24), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('tracking', sa.String(length=64), nullable=True),
    sa.Column('discrepancy', sa.String(length=2000), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', wms.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('released_at', wms.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('shipped_at', wms.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('received_at', wms.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', wms.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('source_warehouse_id <> destination_warehouse_id', name=op.f('ck_transfer_order_transfer_two_sites')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_transfer_order_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['destination_warehouse_id'], ['warehouse.id'], name=op.f('fk_transfer_order_destination_warehouse_id_warehouse')),
    sa.ForeignKeyConstraint(['source_warehouse_id'], ['warehouse.id'], name=op.f('fk_transfer_order_source_warehouse_id_warehouse')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfer_order'))
    )
    with op.batch_alter_table('transfer_order', schema=None) as batch_op:
        batch_op.create_index('ix_transfer_order_status', ['status'], unique=False)

    op.create_table('transfer_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('transfer_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('requested', sa.Integer(), nullable=False),
    sa.Column('picked', sa.Integer(), nullable=False),
    sa.Column('shipped', sa.Integer(), nullable=False),
    sa.Column('received', sa.Integer(), nullable=False),
    sa.Column('lost', sa.Integer(), nullable=False),
    sa.CheckConstraint('received + lost <= shipped', name=op.f('ck_transfer_line_transfer_line_received_within_shipped')),
    sa.CheckConstraint('requested > 0', name=op.f('ck_transfer_line_transfer_line_requested_positive')),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_transfer_line_product_id_product')),
    sa.ForeignKeyConstraint(['transfer_id'], ['transfer_order.id'], name=op.f('fk_transfer_line_transfer_id_transfer_order'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfer_line')),
    sa.UniqueConstraint('transfer_id', 'product_id', name='uq_transfer_line_product')
    )
    op.create_table('transfer_reservation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('line_id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('picked', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.CheckConstraint('picked >= 0 AND picked <= quantity', name=op.f('ck_transfer_reservation_transfer_reservation_picked_within')),
    sa.CheckConstraint('quantity >= 0', name=op.f('ck_transfer_reservation_transfer_reservation_quantity_not_negative')),
    sa.ForeignKeyConstraint(['line_id'], ['transfer_line.id'], name=op.f('fk_transfer_reservation_line_id_transfer_line'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['location_id'], ['location.id'], name=op.f('fk_transfer_reservation_location_id_location')),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_transfer_reservation_product_id_product')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfer_reservation'))
    )
    with op.batch_alter_table('transfer_reservation', schema=None) as batch_op:
        batch_op.create_index('ix_transfer_reservation_line', ['line_id'], unique=False)
        batch_op.create_index('ix_transfer_reservation_location_product', ['location_id', 'product_id'], unique=False)


def downgrade():
    with op.batch_alter_table('transfer_reservation', schema=None) as batch_op:
        batch_op.drop_index('ix_transfer_reservation_location_product')
        batch_op.drop_index('ix_transfer_reservation_line')

    op.drop_table('transfer_reservation')
    op.drop_table('transfer_line')
    with op.batch_alter_table('transfer_order', schema=None) as batch_op:
        batch_op.drop_index('ix_transfer_order_status')

    op.drop_table('transfer_order')
