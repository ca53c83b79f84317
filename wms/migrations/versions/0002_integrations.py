"""integrations: order channel and external reference, ASN references, outbox ordering, webhooks

Revision ID: i21_integrations
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

import wms.db  # noqa: F401  (custom column types such as UTCDateTime)

revision = 'i21_integrations'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('customer_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=32), nullable=False,
                                      server_default='prestashop'))
        batch_op.add_column(sa.Column('external_ref', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint('uq_customer_order_channel_external_ref', ['channel', 'external_ref'])

    with op.batch_alter_table('receipt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('external_ref', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint('uq_receipt_source_external_ref', ['source', 'external_ref'])

    with op.batch_alter_table('ps_outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ordering_key', sa.String(length=200), nullable=True))
        batch_op.create_index('ix_ps_outbox_message_ordering', ['ordering_key', 'id'], unique=False)

    op.create_table('webhook_endpoint',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('secret', sa.String(length=200), nullable=False),
    sa.Column('events_text', sa.Text(), nullable=False),
    sa.Column('description', sa.String(length=120), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', wms.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('disabled_at', wms.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_webhook_endpoint_created_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_endpoint'))
    )
    op.create_table('webhook_cursor',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('last_id', sa.Integer(), nullable=False),
    sa.Column('updated_at', wms.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_cursor')),
    sa.UniqueConstraint('name', name=op.f('uq_webhook_cursor_name'))
    )


def downgrade():
    op.drop_table('webhook_cursor')
    op.drop_table('webhook_endpoint')
    with op.batch_alter_table('ps_outbox_message', schema=None) as batch_op:
        batch_op.drop_index('ix_ps_outbox_message_ordering')
        batch_op.drop_column('ordering_key')
    with op.batch_alter_table('receipt', schema=None) as batch_op:
        batch_op.drop_constraint('uq_receipt_source_external_ref', type_='unique')
        batch_op.drop_column('external_ref')
        batch_op.drop_column('source')
    with op.batch_alter_table('customer_order', schema=None) as batch_op:
        batch_op.drop_constraint('uq_customer_order_channel_external_ref', type_='unique')
        batch_op.drop_column('external_ref')
        batch_op.drop_column('channel')
