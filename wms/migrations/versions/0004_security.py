"""security: token scopes, expiry and lineage; sign-in attempts per name, badge and address;
the request hash of idempotent API calls

Revision ID: i16_security
Revises: i20_carriers
"""
from alembic import op
import sqlalchemy as sa

import wms.db  # noqa: F401  (custom column types such as UTCDateTime)

revision = 'i16_security'
down_revision = 'i20_carriers'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        # Tokens issued before scopes existed could do everything their user could: keep that.
        batch_op.add_column(sa.Column('scopes', sa.String(length=64), nullable=False, server_default='admin'))
        batch_op.add_column(sa.Column('expires_at', wms.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('parent_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_api_token_parent_id_api_token'), 'api_token', ['parent_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_api_token_parent_id'), ['parent_id'], unique=False)
    with op.batch_alter_table('scan_record', schema=None) as batch_op:
        batch_op.add_column(sa.Column('request_hash', sa.String(length=64), nullable=True))
    op.create_table('sign_in_attempt',
    sa.Column('key', sa.String(length=140), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('first_failure_at', wms.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('locked_until', wms.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_sign_in_attempt'))
    )
    with op.batch_alter_table('sign_in_attempt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sign_in_attempt_locked_until'), ['locked_until'], unique=False)


def downgrade():
    with op.batch_alter_table('sign_in_attempt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_in_attempt_locked_until'))
    op.drop_table('sign_in_attempt')
    with op.batch_alter_table('scan_record', schema=None) as batch_op:
        batch_op.drop_column('request_hash')
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_token_parent_id'))
        batch_op.drop_constraint(batch_op.f('fk_api_token_parent_id_api_token'), type_='foreignkey')
        batch_op.drop_column('parent_id')
        batch_op.drop_column('expires_at')
        batch_op.drop_column('scopes')
