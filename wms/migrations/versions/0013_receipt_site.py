"""An expected receipt belongs to a site (issue 14): receipt.warehouse_id.

Existing receipts take the site of the bin their first received movement went to; a receipt
nothing was received on stays without a site (any site may receive it).

Revision ID: i14_receipt_site
Revises: i14_site_pinned
"""
from alembic import op
import sqlalchemy as sa

import wms.db  # noqa: F401  (custom column types such as UTCDateTime)

revision = 'i14_receipt_site'
down_revision = 'i14_site_pinned'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('receipt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('warehouse_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_receipt_warehouse_id_warehouse', 'warehouse', ['warehouse_id'], ['id'])
        batch_op.create_index('ix_receipt_warehouse_id', ['warehouse_id'], unique=False)
    # The first RECEIVED movement of each receipt (its code in the reference) names the site.
    op.execute(sa.text(
        "UPDATE receipt SET warehouse_id = ("
        " SELECT location.warehouse_id FROM stock_move JOIN location ON location.id = stock_move.to_location_id"
        " WHERE stock_move.reason = 'RECEIVED' AND stock_move.reference = 'RCV-' || CAST(receipt.id AS VARCHAR(20))"
        " ORDER BY stock_move.id LIMIT 1)"))


def downgrade():
    with op.batch_alter_table('receipt', schema=None) as batch_op:
        batch_op.drop_index('ix_receipt_warehouse_id')
        batch_op.drop_constraint('fk_receipt_warehouse_id_warehouse', type_='foreignkey')
        batch_op.drop_column('warehouse_id')
