"""A series' theme (移住・二地域居住, 地域づくり, …), for the portal's theme filter; series already
there get none.

Revision ID: 0024_series_theme
Revises: 0023_token_scopes
Create Date: 2026-12-08 01:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0024_series_theme"
down_revision = "0023_token_scopes"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("series", sa.Column("theme", sa.String(length=20), nullable=True))
    op.create_index("ix_series_theme", "series", ["theme"])


def downgrade():
    op.drop_index("ix_series_theme", table_name="series")
    op.drop_column("series", "theme")
