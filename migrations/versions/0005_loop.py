"""Notifications, delivery outbox and opt-outs (R34); follow-up cases (R35); users.email

Revision ID: 0005_loop
Revises: 0005_edges
Create Date: 2026-12-03 15:33:40.251892

"""
from alembic import op
import sqlalchemy as sa

import volunteer.dbtypes


# revision identifiers, used by Alembic.
revision = '0005_loop'
down_revision = '0005_edges'
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('followups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('union_code', sa.String(length=32), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=True),
    sa.Column('created_at', volunteer.dbtypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', volunteer.dbtypes.UTCDateTime(), nullable=False),
    sa.Column('resolved_at', volunteer.dbtypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_followups_assignee_id_users')),
    sa.ForeignKeyConstraint(['student_id'], ['students.id'], name=op.f('fk_followups_student_id_students')),
    sa.ForeignKeyConstraint(['union_code'], ['unions.code'], name=op.f('fk_followups_union_code_unions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_followups')),
    sa.UniqueConstraint('student_id', 'month', name='uq_followups_student_month')
    )
    with op.batch_alter_table('followups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_followups_assignee_id'), ['assignee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_followups_month'), ['month'], unique=False)
        batch_op.create_index('ix_followups_union_status', ['union_code', 'status'], unique=False)

    op.create_table('notification_opt_outs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_opt_outs_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_opt_outs')),
    sa.UniqueConstraint('user_id', 'kind', name='uq_notification_opt_outs')
    )
    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('link', sa.String(length=400), nullable=True),
    sa.Column('data', volunteer.dbtypes.JSONText(), nullable=True),
    sa.Column('dedupe_key', sa.String(length=120), nullable=True),
    sa.Column('created_at', volunteer.dbtypes.UTCDateTime(), nullable=False),
    sa.Column('read_at', volunteer.dbtypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    sa.UniqueConstraint('dedupe_key', 'user_id', name='uq_notifications_key_user')
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_user_created', ['user_id', 'created_at'], unique=False)
        batch_op.create_index('ix_notifications_user_read', ['user_id', 'read_at'], unique=False)

    op.create_table('deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notification_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('address', sa.String(length=254), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', volunteer.dbtypes.UTCDateTime(), nullable=False),
    sa.Column('last_error', sa.String(length=300), nullable=True),
    sa.Column('created_at', volunteer.dbtypes.UTCDateTime(), nullable=False),
    sa.Column('sent_at', volunteer.dbtypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['notification_id'], ['notifications.id'], name=op.f('fk_deliveries_notification_id_notifications')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_deliveries_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deliveries'))
    )
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_deliveries_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_deliveries_notification_id'), ['notification_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deliveries_user_id'), ['user_id'], unique=False)

    op.create_table('followup_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('followup_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', volunteer.dbtypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_followup_notes_author_id_users')),
    sa.ForeignKeyConstraint(['followup_id'], ['followups.id'], name=op.f('fk_followup_notes_followup_id_followups')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_followup_notes'))
    )
    with op.batch_alter_table('followup_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_followup_notes_followup_id'), ['followup_id'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=254), nullable=True))




def downgrade():

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('email')

    with op.batch_alter_table('followup_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_followup_notes_followup_id'))

    op.drop_table('followup_notes')
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deliveries_user_id'))
        batch_op.drop_index(batch_op.f('ix_deliveries_notification_id'))
        batch_op.drop_index('ix_deliveries_due')

    op.drop_table('deliveries')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_user_read')
        batch_op.drop_index('ix_notifications_user_created')

    op.drop_table('notifications')
    op.drop_table('notification_opt_outs')
    with op.batch_alter_table('followups', schema=None) as batch_op:
        batch_op.drop_index('ix_followups_union_status')
        batch_op.drop_index(batch_op.f('ix_followups_month'))
        batch_op.drop_index(batch_op.f('ix_followups_assignee_id'))

    op.drop_table('followups')

