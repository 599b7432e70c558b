"""Surveys, their questions, who was sent them, and the responses.

Anonymous surveys never store who answered which response: the recipient row says only
*that* the person responded (no time: a time could be matched with the responses' order),
and the response row has no person. Both carry how the person attended (venue / online /
partial / archive) and whether they were returning, for the results' split.
"""

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.core.types import UTCDateTime, str_enum, utcnow
from app.core.versioning import Versioned
from app.events.models import Series, Session
from app.extensions import db


class SurveyStatus(enum.StrEnum):
    draft = "draft"  # being built; nobody has it
    open = "open"  # sent: answers are taken until it closes
    closed = "closed"


class QuestionType(enum.StrEnum):
    scale = "scale"  # 1..5
    single = "single"
    multiple = "multiple"
    text = "text"


class AttendedAs(enum.StrEnum):
    """How a recipient took part: the results' split."""

    venue = "venue"
    online = "online"
    partial = "partial"
    #: watched the archive (アーカイブ配信) of its session(s) for at least 5 minutes
    #: (app.surveys.services.audience), without attending it live
    archive = "archive"


class Survey(Versioned, db.Model):
    __tablename__ = "survey"

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"), index=True)
    #: None: a survey of the whole series (sent to who took part in any of its sessions)
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("session.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    to_venue: Mapped[bool] = mapped_column(Boolean, default=True)
    to_online: Mapped[bool] = mapped_column(Boolean, default=True)
    to_partial: Mapped[bool] = mapped_column(Boolean, default=False)
    #: also the people who watched the archive of its session(s) for at least 5 minutes and
    #: did not attend live (those who did are in their live group)
    to_archive: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    status: Mapped[SurveyStatus] = mapped_column(
        str_enum(SurveyStatus, "survey_status"), default=SurveyStatus.draft
    )
    #: answers are taken for this many days after sending (closes_at)
    open_days: Mapped[int] = mapped_column(Integer, default=14)
    #: answers are taken until then (and the links stop working)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    series: Mapped[Series] = relationship()
    session: Mapped[Session | None] = relationship()
    questions: Mapped[list["SurveyQuestion"]] = relationship(
        back_populates="survey",
        order_by="SurveyQuestion.position, SurveyQuestion.id",
        cascade="all, delete-orphan",
    )

    def is_open(self, now: datetime | None = None) -> bool:
        now = now or utcnow()
        return self.status is SurveyStatus.open and (self.closes_at is None or now < self.closes_at)

    @property
    def audience_keys(self) -> set[str]:
        """The groups it goes to: venue, online, partial, archive."""
        return {
            key
            for key, on in (
                ("venue", self.to_venue),
                ("online", self.to_online),
                ("partial", self.to_partial),
                ("archive", self.to_archive),
            )
            if on
        }

    @property
    def locked(self) -> bool:
        """Sent: who it goes to and whether it is anonymous no longer change."""
        return self.status is not SurveyStatus.draft


class SurveyQuestion(db.Model):
    __tablename__ = "survey_question"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[QuestionType] = mapped_column(str_enum(QuestionType, "survey_question_kind"))
    label: Mapped[str] = mapped_column(String(300))
    #: the options of single and multiple choice, one a line
    choices: Mapped[str] = mapped_column(Text, default="")
    #: the shared 関係人口 set's key (app/surveys/presets.py): answers compare across series
    key: Mapped[str | None] = mapped_column(String(40))
    required: Mapped[bool] = mapped_column(Boolean, default=False)

    survey: Mapped[Survey] = relationship(back_populates="questions")

    @property
    def options(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]


class SurveyRecipient(db.Model):
    """Someone the survey was sent to, and whether they responded (never which response)."""

    __tablename__ = "survey_recipient"
    __table_args__ = (
        UniqueConstraint("survey_id", "user_id"),
        Index("ix_survey_recipient_user_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    attended_as: Mapped[AttendedAs] = mapped_column(str_enum(AttendedAs, "survey_attended_as"))
    #: took part in an earlier session of the organisation
    returner: Mapped[bool] = mapped_column(Boolean, default=False)
    responded: Mapped[bool] = mapped_column(Boolean, default=False)
    #: named surveys only
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()


class SurveyResponse(db.Model):
    """One person's answers. Anonymous surveys: no user_id and no times."""

    __tablename__ = "survey_response"
    __table_args__ = (UniqueConstraint("survey_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    attended_as: Mapped[AttendedAs] = mapped_column(
        str_enum(AttendedAs, "survey_response_attended_as")
    )
    returner: Mapped[bool] = mapped_column(Boolean, default=False)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User | None] = relationship()
    answers: Mapped[list["SurveyAnswer"]] = relationship(
        back_populates="response", cascade="all, delete-orphan"
    )


class SurveyAnswer(db.Model):
    """One answer: a scale value (1..5) or an option's index in `choice` (a multiple choice
    question has a row per ticked option), or free text."""

    __tablename__ = "survey_answer"
    __table_args__ = (Index("ix_survey_answer_question_choice", "question_id", "choice"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("survey_response.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[int] = mapped_column(ForeignKey("survey_question.id", ondelete="CASCADE"))
    choice: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text, default="")

    response: Mapped[SurveyResponse] = relationship(back_populates="answers")
