"""surveys: the option to send a survey to the people who watched the session's archive
(アーカイブ視聴, at least 5 minutes), shown as their own group in the results

Revision ID: 0018_survey_to_archive
Revises: 0017_archive
Create Date: 2026-12-07 21:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0018_survey_to_archive"
down_revision = "0017_archive"
branch_labels = None
depends_on = None


def upgrade():
    # a plain ALTER TABLE (no batch copy of `survey`, whose rows other tables point at); the
    # surveys already there were not sent to archive viewers
    op.add_column(
        "survey",
        sa.Column("to_archive", sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade():
    op.drop_column("survey", "to_archive")  # SQLite 3.35+ drops it in place
