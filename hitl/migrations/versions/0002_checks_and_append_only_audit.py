"""Check constraints on status and role; the audit log becomes append-only.

SQLite cannot add a CHECK constraint to an existing table, so the batch context copies the
table (create new, copy rows, drop old, rename); PostgreSQL alters it in place. Triggers
refuse UPDATE and DELETE on ``audit_log`` in both databases.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_STATUS = "status IN ('pending', 'accepted', 'rejected', 'needs_evidence')"
_ROLE = "role IN ('admin', 'reviewer', 'viewer')"
_VERSION = "version >= 1"

_PG_FUNCTION = """
CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    with op.batch_alter_table("hypotheses") as batch:
        batch.create_check_constraint("ck_hypotheses_status", _STATUS)
        batch.create_check_constraint("ck_hypotheses_version", _VERSION)
    with op.batch_alter_table("users") as batch:
        batch.create_check_constraint("ck_users_role", _ROLE)

    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        op.execute(
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{event.lower()} BEFORE {event} ON audit_log "
                f"BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: {event} refused'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION audit_log_append_only()")
    else:
        op.execute("DROP TRIGGER audit_log_no_update")
        op.execute("DROP TRIGGER audit_log_no_delete")
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint("ck_users_role", type_="check")
    with op.batch_alter_table("hypotheses") as batch:
        batch.drop_constraint("ck_hypotheses_version", type_="check")
        batch.drop_constraint("ck_hypotheses_status", type_="check")
