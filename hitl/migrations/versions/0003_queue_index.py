"""An index matching the queue's default order (score descending, missing scores last, id).

With it a page is read in index order, and the page's ids come from the index alone before
the rows are fetched, so a deep page does not sort the table. PostgreSQL sorts NULL first
in descending order unless told otherwise; SQLite already puts NULL last there and does not
accept NULLS LAST in an index definition.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        columns = [sa.text("score DESC NULLS LAST"), sa.text("id")]
    else:
        columns = [sa.text("score DESC"), sa.text("id")]
    op.create_index("ix_hypotheses_queue_order", "hypotheses", columns)


def downgrade() -> None:
    op.drop_index("ix_hypotheses_queue_order", table_name="hypotheses")
