"""surveys (事後アンケート): a survey per session or series, its questions, who was sent it and
whether they responded, and the responses (anonymous ones without their person)

Revision ID: 0014_surveys
Revises: 0013_attendance_figures
Create Date: 2026-12-07 20:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

from app.core.types import UTCDateTime

# revision identifiers, used by Alembic.
revision = "0014_surveys"
down_revision = "0013_attendance_figures"
branch_labels = None
depends_on = None

ATTENDED_AS = ("venue", "online", "partial", "archive")


def _enum(name, *values):
    return sa.Enum(*values, name=name, native_enum=False, length=20)


def upgrade():
    op.create_table(
        "survey",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("to_venue", sa.Boolean(), nullable=False),
        sa.Column("to_online", sa.Boolean(), nullable=False),
        sa.Column("to_partial", sa.Boolean(), nullable=False),
        sa.Column("status", _enum("survey_status", "draft", "open", "closed"), nullable=False),
        sa.Column("open_days", sa.Integer(), nullable=False),
        sa.Column("closes_at", UTCDateTime(), nullable=True),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.Column("reminded_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["series_id"], ["series.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["session_id"], ["session.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("survey") as batch:
        batch.create_index("ix_survey_series_id", ["series_id"], unique=False)
        batch.create_index("ix_survey_session_id", ["session_id"], unique=False)
    op.create_table(
        "survey_question",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            _enum("survey_question_kind", "scale", "single", "multiple", "text"),
            nullable=False,
        ),
        sa.Column("label", sa.String(length=300), nullable=False),
        sa.Column("choices", sa.Text(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=True),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["survey_id"], ["survey.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("survey_question") as batch:
        batch.create_index("ix_survey_question_survey_id", ["survey_id"], unique=False)
    op.create_table(
        "survey_recipient",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("attended_as", _enum("survey_attended_as", *ATTENDED_AS), nullable=False),
        sa.Column("returner", sa.Boolean(), nullable=False),
        sa.Column("responded", sa.Boolean(), nullable=False),
        sa.Column("responded_at", UTCDateTime(), nullable=True),
        sa.Column("sent_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["survey_id"], ["survey.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("survey_id", "user_id"),
    )
    with op.batch_alter_table("survey_recipient") as batch:
        batch.create_index("ix_survey_recipient_user_id", ["user_id"], unique=False)
    op.create_table(
        "survey_response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column(
            "attended_as", _enum("survey_response_attended_as", *ATTENDED_AS), nullable=False
        ),
        sa.Column("returner", sa.Boolean(), nullable=False),
        sa.Column("submitted_at", UTCDateTime(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["survey_id"], ["survey.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("survey_id", "user_id"),
    )
    with op.batch_alter_table("survey_response") as batch:
        batch.create_index("ix_survey_response_survey_id", ["survey_id"], unique=False)
    op.create_table(
        "survey_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("choice", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["response_id"], ["survey_response.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["question_id"], ["survey_question.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("survey_answer") as batch:
        batch.create_index("ix_survey_answer_response_id", ["response_id"], unique=False)
        batch.create_index(
            "ix_survey_answer_question_choice", ["question_id", "choice"], unique=False
        )


def downgrade():
    op.drop_table("survey_answer")
    op.drop_table("survey_response")
    op.drop_table("survey_recipient")
    op.drop_table("survey_question")
    op.drop_table("survey")
