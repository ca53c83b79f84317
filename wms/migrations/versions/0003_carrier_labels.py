"""carrier labels: carrier API accounts and services, relay points, labels from the carrier

Revision ID: i20_carriers
Revises: i21_integrations
"""
from alembic import op
import sqlalchemy as sa

import wms.db  # noqa: F401  (custom column types such as UTCDateTime)

revision = 'i20_carriers'
down_revision = 'i21_integrations'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('carrier') as batch:
        batch.add_column(sa.Column('account', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('service_code', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('relay', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('customer_order') as batch:
        batch.add_column(sa.Column('relay_point_id', sa.String(length=32), nullable=True))
    op.create_table('carrier_label',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('parcel_id', sa.Integer(), nullable=False),
    sa.Column('carrier_id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Enum('PENDING', 'CREATED', 'FAILED', 'VOID_PENDING', 'VOIDED', name='carrierlabelstatus', native_enum=False, length=24), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(length=64), nullable=True),
    sa.Column('tracking_number', sa.String(length=64), nullable=True),
    sa.Column('tracking_url', sa.String(length=300), nullable=True),
    sa.Column('label_format', sa.String(length=8), nullable=True),
    sa.Column('label', sa.LargeBinary(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', wms.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', wms.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['carrier_id'], ['carrier.id'], name=op.f('fk_carrier_label_carrier_id_carrier')),
    sa.ForeignKeyConstraint(['parcel_id'], ['parcel.id'], name=op.f('fk_carrier_label_parcel_id_parcel'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_carrier_label')),
    sa.UniqueConstraint('parcel_id', name=op.f('uq_carrier_label_parcel_id')),
    sa.UniqueConstraint('reference', name=op.f('uq_carrier_label_reference'))
    )
    op.create_index('ix_carrier_label_status', 'carrier_label', ['status'], unique=False)


def downgrade():
    op.drop_index('ix_carrier_label_status', table_name='carrier_label')
    op.drop_table('carrier_label')
    with op.batch_alter_table('customer_order') as batch:
        batch.drop_column('relay_point_id')
    with op.batch_alter_table('carrier') as batch:
        batch.drop_column('relay')
        batch.drop_column('service_code')
        batch.drop_column('account')
