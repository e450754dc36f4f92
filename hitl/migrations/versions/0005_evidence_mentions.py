"""Evidence passages keep the entity mentions the corpus annotates in them.

``evidence.mentions`` is a JSON list of ``{start, end, entity_ids, type}`` (offsets into the
passage text, :class:`agent.types.EvidenceMention`); rows written before it get ``[]`` and
the detail page falls back to matching the entities' names there. SQLite adds the column in
place (a constant default is allowed), PostgreSQL too; batch mode keeps one code path.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("evidence") as batch:
        batch.add_column(
            sa.Column("mentions", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )


def downgrade() -> None:
    with op.batch_alter_table("evidence") as batch:
        batch.drop_column("mentions")
