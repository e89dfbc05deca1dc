"""Saved views: a dashboard page's query parameters under a name.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "saved_views",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("page", sa.String(50), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("query", _JSON, nullable=False),
        sa.Column("owner", sa.String(200)),
        sa.Column("saved_at", sa.Float, nullable=False),
        sa.UniqueConstraint("page", "name", name="ux_saved_views_page_name"),
    )


def downgrade() -> None:
    op.drop_table("saved_views")
