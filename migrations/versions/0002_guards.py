"""attestations.stale_since: an attestation goes stale when its month's figures change (R30)

Revision ID: 0002_guards
Revises: 0001
Create Date: 2026-12-03 15:34:58.937985

"""

import sqlalchemy as sa
from alembic import op

import volunteer.dbtypes

# revision identifiers, used by Alembic.
revision = "0002_guards"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("attestations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("stale_since", volunteer.dbtypes.UTCDateTime(), nullable=True)
        )


def downgrade():
    with op.batch_alter_table("attestations", schema=None) as batch_op:
        batch_op.drop_column("stale_since")
