"""Answering: one response per person, checked against the questions, editable until the
survey closes (named surveys). An anonymous survey stores the response without its person and
only marks the person as having responded; with nothing linking the two, its answers cannot be
changed afterwards (the form says so before sending).
"""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.core.errors import NotFound, ValidationFailed
from app.core.types import utcnow
from app.extensions import db
from app.surveys.errors import AlreadyAnswered, NotRecipient, SurveyClosed, SurveyNotOpen
from app.surveys.models import (
    QuestionType,
    Survey,
    SurveyAnswer,
    SurveyRecipient,
    SurveyResponse,
    SurveyStatus,
)
from app.surveys.presets import SCALE
from app.surveys.services import mark_responded

MAX_TEXT = 2000


def load_survey(survey_id: int) -> Survey:
    survey = db.session.get(Survey, survey_id, options=[selectinload(Survey.questions)])
    if survey is None:
        raise NotFound()
    return survey


def recipient_of(survey: Survey, user_id: int) -> SurveyRecipient:
    found = db.session.scalar(
        select(SurveyRecipient).where(
            SurveyRecipient.survey_id == survey.id, SurveyRecipient.user_id == user_id
        )
    )
    if found is None:
        raise NotRecipient()
    return found


def check_open(survey: Survey, now: datetime | None = None) -> None:
    if survey.status is SurveyStatus.draft:
        raise SurveyNotOpen()
    if not survey.is_open(now):
        raise SurveyClosed()


def own_response(survey: Survey, user_id: int) -> SurveyResponse | None:
    """The person's answers (named surveys only: an anonymous response has no person)."""
    if survey.anonymous:
        return None
    return db.session.scalar(
        select(SurveyResponse)
        .options(selectinload(SurveyResponse.answers))
        .where(SurveyResponse.survey_id == survey.id, SurveyResponse.user_id == user_id)
    )


def current_answers(response: SurveyResponse | None) -> dict[int, object]:
    """question id -> value as the form and the API show it."""
    found: dict[int, object] = {}
    if response is None:
        return found
    for a in response.answers:
        if a.choice is None:
            found[a.question_id] = a.text
        else:
            found.setdefault(a.question_id, []).append(a.choice)
    return found


def _clean(survey: Survey, answers: dict) -> list[SurveyAnswer]:
    """The answers as rows; every problem at once, by question (field `q<id>`)."""
    errors, rows = {}, []
    for q in survey.questions:
        value = answers.get(q.id)
        field = f"q{q.id}"
        empty = value in (None, "", []) or (isinstance(value, str) and not value.strip())
        if empty:
            if q.required:
                errors[field] = [_l("Please answer this question.")]
            continue
        if q.kind is QuestionType.text:
            if not isinstance(value, str) or len(value) > MAX_TEXT:
                errors[field] = [_l("Write at most 2,000 characters.")]
            else:
                rows.append(SurveyAnswer(question_id=q.id, text=value.strip()))
            continue
        values = value if isinstance(value, list) else [value]
        if any(isinstance(v, bool | float | dict | list) for v in values):
            errors[field] = [_l("Choose one of the options.")]
            continue
        try:
            values = sorted({int(v) for v in values})
        except (TypeError, ValueError):
            errors[field] = [_l("Choose one of the options.")]
            continue
        allowed = SCALE if q.kind is QuestionType.scale else range(len(q.options))
        if any(v not in allowed for v in values) or (
            q.kind is not QuestionType.multiple and len(values) != 1
        ):
            errors[field] = [_l("Choose one of the options.")]
            continue
        rows.extend(SurveyAnswer(question_id=q.id, choice=v, text="") for v in values)
    if errors:
        raise ValidationFailed(fields=errors)
    return rows


def submit(survey: Survey, user_id: int, answers: dict, now: datetime | None = None):
    """Store the person's answers: a first response, or (named surveys, while open) a change
    of theirs. Returns the response."""
    now = now or utcnow()
    recipient = recipient_of(survey, user_id)
    check_open(survey, now)
    rows = _clean(survey, answers)
    if survey.anonymous:
        if not mark_responded(survey, user_id, now):
            raise AlreadyAnswered()
        response = SurveyResponse(
            survey_id=survey.id, user_id=None, attended_as=recipient.attended_as,
            returner=recipient.returner, answers=rows,
        )  # fmt: skip
        db.session.add(response)
        db.session.flush()
        return response
    first = mark_responded(survey, user_id, now)
    response = None if first else own_response(survey, user_id)
    if response is None:
        response = SurveyResponse(
            survey_id=survey.id, user_id=user_id, attended_as=recipient.attended_as,
            returner=recipient.returner, submitted_at=now,
        )  # fmt: skip
        db.session.add(response)
    response.answers = rows
    response.updated_at = now
    db.session.flush()
    return response


def open_surveys_for(user_id: int, now: datetime | None = None) -> list[Survey]:
    """The open surveys sent to this person that they can still answer (マイページ)."""
    now = now or utcnow()
    found = db.session.scalars(
        select(Survey)
        .join(SurveyRecipient, SurveyRecipient.survey_id == Survey.id)
        .where(SurveyRecipient.user_id == user_id, Survey.status == SurveyStatus.open)
        .where(~(SurveyRecipient.responded.is_(True) & Survey.anonymous.is_(True)))
        .order_by(Survey.sent_at.desc())
    ).all()
    return [s for s in found if s.is_open(now)]
