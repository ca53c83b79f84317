"""Several warehouses (issue 14): orders routed to a site, stations and dispatches in a site,
carriers per site, routing rules, sellable sites.

Revision ID: 0009_sites
Revises: i18_languages
Create Date: 2026-11-28 08:07:02.213351

"""
from alembic import op
import sqlalchemy as sa

import wms.db  # noqa: F401  (custom column types such as UTCDateTime)


# revision identifiers, used by Alembic.
revision = '0009_sites'
down_revision = 'i18_languages'
branch_labels = None
depends_on = None


_REFERENCES = [
    ('customer_order', 'warehouse_id', 'warehouse', 'fk_customer_order_warehouse_id_warehouse'),
    ('customer_order', 'parent_id', 'customer_order', 'fk_customer_order_parent_id_customer_order'),
    ('station', 'warehouse_id', 'warehouse', 'fk_station_warehouse_id_warehouse'),
    ('dispatch', 'warehouse_id', 'warehouse', 'fk_dispatch_warehouse_id_warehouse'),
]


def _add_reference(table, column, target, name):
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(f'ALTER TABLE {table} ADD COLUMN {column} INTEGER CONSTRAINT {name} REFERENCES {target} (id)')
    else:
        op.add_column(table, sa.Column(column, sa.Integer(), nullable=True))
        op.create_foreign_key(name, table, target, [column], ['id'])


def upgrade():
    op.create_table('carrier_site',
    sa.Column('carrier_id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('cutoff', sa.Time(), nullable=True),
    sa.ForeignKeyConstraint(['carrier_id'], ['carrier.id'], name=op.f('fk_carrier_site_carrier_id_carrier'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], name=op.f('fk_carrier_site_warehouse_id_warehouse'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('carrier_id', 'warehouse_id', name=op.f('pk_carrier_site'))
    )
    op.create_table('routing_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('countries', sa.String(length=200), nullable=True),
    sa.Column('carrier_id', sa.Integer(), nullable=True),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', wms.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['carrier_id'], ['carrier.id'], name=op.f('fk_routing_rule_carrier_id_carrier'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], name=op.f('fk_routing_rule_warehouse_id_warehouse'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_routing_rule'))
    )
    # Plain ADD COLUMN works on both databases; a batch copy of customer_order would trip
    # SQLite's foreign keys, so there the reference goes inline in the ADD COLUMN.
    for table, column, target, name in _REFERENCES:
        _add_reference(table, column, target, name)
    op.add_column('customer_order', sa.Column('routing_reason', sa.String(length=500), nullable=True))
    op.create_index('ix_customer_order_parent_id', 'customer_order', ['parent_id'], unique=False)
    op.create_index('ix_customer_order_warehouse_id', 'customer_order', ['warehouse_id'], unique=False)
    op.add_column('warehouse', sa.Column('sellable', sa.Boolean(), server_default=sa.true(), nullable=False))
    op.add_column('warehouse', sa.Column('priority', sa.Integer(), server_default='0', nullable=False))



def downgrade():
    # Plain DROP COLUMN where SQLite allows it (warehouse is referenced by every location: a
    # batch copy of it trips the foreign keys); the columns with a reference need a batch copy.
    op.drop_column('warehouse', 'priority')
    op.drop_column('warehouse', 'sellable')
    sqlite = op.get_bind().dialect.name == 'sqlite'
    op.drop_index('ix_customer_order_warehouse_id', table_name='customer_order')
    op.drop_index('ix_customer_order_parent_id', table_name='customer_order')
    op.drop_column('customer_order', 'routing_reason')
    for table, column, _target, name in reversed(_REFERENCES):
        if sqlite:
            with op.batch_alter_table(table) as batch_op:
                batch_op.drop_column(column)
        else:
            op.drop_constraint(name, table, type_='foreignkey')
            op.drop_column(table, column)
    op.drop_table('routing_rule')
    op.drop_table('carrier_site')
