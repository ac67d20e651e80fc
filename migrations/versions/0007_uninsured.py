"""read indexes: a partial index for the dashboard's count of uninsured sessions (R37);
the read model's month index covers the 12-month chart (PostgreSQL: INCLUDE)

Revision ID: 0007_uninsured
Revises: 0006_figures
Create Date: 2026-12-03 19:55:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_uninsured'
down_revision = '0006_figures'
branch_labels = None
depends_on = None

PREDICATE = "flags LIKE '%uninsured%'"


def upgrade():
    with op.batch_alter_table('service_sessions', schema=None) as batch_op:
        batch_op.create_index(
            'ix_service_sessions_uninsured',
            ['check_in_at'],
            unique=False,
            sqlite_where=sa.text(PREDICATE),
            postgresql_where=sa.text(PREDICATE),
        )
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_index('ix_student_month_figures_month_path', table_name='student_month_figures')
        op.create_index(
            'ix_student_month_figures_month_path',
            'student_month_figures',
            ['month', 'union_path'],
            postgresql_include=['required_minutes', 'confirmed_minutes'],
        )


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_index('ix_student_month_figures_month_path', table_name='student_month_figures')
        op.create_index(
            'ix_student_month_figures_month_path', 'student_month_figures', ['month', 'union_path']
        )
    with op.batch_alter_table('service_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_service_sessions_uninsured')
