"""API: surveys (事後アンケート). The definition for its organisers and for the people it was
sent to; its settings (who it goes to, archive viewers included) for organisers; the responses,
a page at a time, for organisers and owners; the person's own answers (read and send/change).
Another organisation's people get 404; errors carry stable codes (survey_closed,
survey_already_answered, survey_not_recipient, survey_locked, validation_error)."""

from functools import wraps

from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.api import Blueprint, ErrorSchema, PageQuery, requested_slice
from app.api.access import require_role_in
from app.api.accounts import BEARER
from app.api.etags import send_etag, take_version, versioned
from app.core.access import declare, require_user
from app.core.errors import NotFound, ValidationFailed
from app.extensions import db
from app.orgs.models import Role
from app.surveys import respond
from app.surveys import services as surveys
from app.surveys.models import Survey, SurveyRecipient, SurveyResponse, SurveyStatus
from app.surveys.schemas import (
    MyResponseIn,
    MyResponseOut,
    ResponsesOut,
    SurveyOut,
    SurveySettingsIn,
)

blp = Blueprint("api_surveys", __name__, description="Surveys (事後アンケート)")


def _load(survey_id: int) -> Survey:
    survey = db.session.get(Survey, survey_id, options=[selectinload(Survey.questions)])
    if survey is None:
        raise NotFound()
    return survey


def _is_recipient(survey: Survey) -> bool:
    if survey.status is SurveyStatus.draft:
        return False
    return bool(
        db.session.scalar(
            select(SurveyRecipient.id).where(
                SurveyRecipient.survey_id == survey.id,
                SurveyRecipient.user_id == current_user.id,
            )
        )
    )


def _organizer_or_recipient(view):
    @wraps(view)
    def wrapper(*args, survey_id, **kwargs):
        require_user()
        survey = _load(survey_id)
        if not _is_recipient(survey):
            require_role_in(survey.series, Role.organizer)
        return view(*args, survey=survey, **kwargs)

    return declare(wrapper, "org:organizer or survey recipient")


def _organizer(view):
    @wraps(view)
    def wrapper(*args, survey_id, **kwargs):
        require_user()
        survey = _load(survey_id)
        require_role_in(survey.series, Role.organizer)
        return view(*args, survey=survey, **kwargs)

    return declare(wrapper, "org:organizer")


def _recipient(view):
    @wraps(view)
    def wrapper(*args, survey_id, **kwargs):
        require_user()
        survey = _load(survey_id)
        if survey.status is SurveyStatus.draft:
            raise NotFound()
        respond.recipient_of(survey, current_user.id)  # survey_not_recipient (403)
        return view(*args, survey=survey, **kwargs)

    return declare(wrapper, "user: survey recipient")


def _documented(extra: dict[int, str] | None = None):
    described = {401: "Not logged in", 404: "No such survey for you", **(extra or {})}

    def decorator(view):
        for status, description in described.items():
            view = blp.alt_response(status, schema=ErrorSchema, description=description)(view)
        return blp.doc(security=BEARER)(view)

    return decorator


SETTINGS_AUDIENCE = ("venue", "online", "partial", "archive")


def definition(survey: Survey) -> dict:
    return {
        "id": survey.id,
        "series_id": survey.series_id,
        "session_id": survey.session_id,
        "title": survey.title,
        "anonymous": survey.anonymous,
        "status": survey.status.value,
        "open": survey.is_open(),
        "closes_at": survey.closes_at,
        **{f"to_{key}": getattr(survey, f"to_{key}") for key in SETTINGS_AUDIENCE},
        "open_days": survey.open_days,
        "questions": [
            {
                "id": q.id,
                "position": i,
                "kind": q.kind.value,
                "label": q.label,
                "options": q.options,
                "key": q.key,
                "required": q.required,
            }
            for i, q in enumerate(survey.questions, start=1)
        ],
    }


def _answers_out(found: dict) -> dict:
    out = {}
    for qid, value in found.items():
        out[str(qid)] = value
    return out


@blp.route("/surveys/<int:survey_id>", methods=["GET"])
@versioned
@blp.response(200, SurveyOut)
@_documented({403: "A participant of the series it was not sent to"})
@_organizer_or_recipient
def survey_definition(survey: Survey):
    """A survey's questions: for organisers and owners of its organisation, and for the
    people it was sent to. Its ETag goes with a settings change as If-Match."""
    send_etag(survey)
    return definition(survey)


@blp.route("/surveys/<int:survey_id>/settings", methods=["PATCH"])
@versioned
@blp.arguments(SurveySettingsIn)
@blp.response(200, SurveyOut)
@_documented(
    {
        403: "Staff of the organisation, or a participant of the series",
        409: "survey_locked: sent, who it goes to and whether it is anonymous are fixed",
        422: "validation_error: open_days out of 1-90, or no group of people chosen",
    }
)
@_organizer
def survey_settings(body, survey: Survey):
    """Change a survey's settings: anonymous, who it goes to (to_venue, to_online,
    to_partial, to_archive) and how many days it stays open. Organisers and owners.

    With `If-Match: <ETag>` (from GET /surveys/{survey_id} or an earlier change) the change
    is made only if nobody changed the survey since: else 412 `precondition_failed`."""
    take_version(survey)
    current = {f"to_{key}": getattr(survey, f"to_{key}") for key in SETTINGS_AUDIENCE}
    current.update(anonymous=survey.anonymous, open_days=survey.open_days)
    surveys.update_settings(survey, **{**current, **body})
    db.session.commit()
    send_etag(survey)
    return definition(survey)


@blp.route("/surveys/<int:survey_id>/responses", methods=["GET"])
@blp.arguments(PageQuery, location="query")
@blp.response(200, ResponsesOut)
@_documented({403: "Staff of the organisation, or a participant of the series"})
@_organizer
def survey_responses(query, survey: Survey):
    """The responses in the order they came (all, or a page). Anonymous surveys: no person.
    Organisers and owners."""
    offset, limit = requested_slice(query) or (0, None)
    rows = db.session.scalars(
        select(SurveyResponse)
        .options(selectinload(SurveyResponse.answers), selectinload(SurveyResponse.user))
        .where(SurveyResponse.survey_id == survey.id)
        .order_by(SurveyResponse.id)
        .offset(offset)
        .limit(limit)
    ).all()
    sent, responded = db.session.execute(
        select(func.count(), func.count().filter(SurveyRecipient.responded.is_(True))).where(
            SurveyRecipient.survey_id == survey.id
        )
    ).one()
    return {
        "survey_id": survey.id,
        "sent": sent,
        "responded": responded,
        "responses": [
            {
                "id": r.id,
                "user": None
                if survey.anonymous or r.user is None
                else {"id": r.user.id, "name": r.user.name},
                # anonymous: nothing that could single a person out (the one online respondent)
                "attended_as": None if survey.anonymous else r.attended_as.value,
                "returning": None if survey.anonymous else r.returner,
                "answers": _answers_out(respond.current_answers(r)),
            }
            for r in rows
        ],
    }


def _mine(survey: Survey) -> dict:
    recipient = respond.recipient_of(survey, current_user.id)
    response = respond.own_response(survey, current_user.id)
    return {
        "survey_id": survey.id,
        "responded": recipient.responded,
        "editable": survey.is_open() and not (survey.anonymous and recipient.responded),
        "answers": None if survey.anonymous else _answers_out(respond.current_answers(response)),
    }


@blp.route("/surveys/<int:survey_id>/my-response", methods=["GET"])
@blp.response(200, MyResponseOut)
@_documented({403: "survey_not_recipient: the survey was not sent to you"})
@_recipient
def my_response(survey: Survey):
    """Your answers to a survey sent to you (none shown for an anonymous survey)."""
    return _mine(survey)


@blp.route("/surveys/<int:survey_id>/my-response", methods=["PUT"])
@blp.arguments(MyResponseIn)
@blp.response(200, MyResponseOut)
@_documented(
    {
        403: "survey_not_recipient: the survey was not sent to you",
        409: "survey_closed, or survey_already_answered (anonymous answers never change)",
        422: "validation_error: answers per question in `fields` (q<id>)",
    }
)
@_recipient
def put_my_response(body, survey: Survey):
    """Send or change your answers (named surveys: until the survey closes)."""
    answers = {}
    for key, value in body["answers"].items():
        if not key.isdigit() or len(key) > 10:
            raise ValidationFailed(fields={"answers": ["Keys are question ids."]})
        answers[int(key)] = value
    unknown = set(answers) - {q.id for q in survey.questions}
    if unknown:
        raise ValidationFailed(fields={"answers": [f"Unknown question ids: {sorted(unknown)}"]})
    respond.submit(survey, current_user.id, answers)
    db.session.commit()
    return _mine(survey)
