"""The respondent's pages: the personal link opens the form without logging in (on a phone),
the answers are stored once per person (named: changeable until the survey closes), then a
thank-you page. A forged or expired link, a closed survey or someone it was not sent to get a
clear message, never a form."""

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.accounts.models import User
from app.core.access import public
from app.core.errors import KakawariError, ValidationFailed
from app.core.forms import ActionForm
from app.core.text import UNSTORABLE_MESSAGE, unstorable
from app.extensions import db, limiter
from app.surveys import respond as answering
from app.surveys.links import read_token
from app.surveys.models import QuestionType, Survey
from app.surveys.presets import SCALE, SCALE_LABELS

bp = Blueprint("surveys_respond", __name__)
LINK = "/surveys/r/<token>"


def _load(token: str) -> tuple[Survey, int]:
    survey_id, user_id = read_token(token)
    survey = answering.load_survey(survey_id)
    answering.recipient_of(survey, user_id)
    return survey, user_id


def form_answers(survey: Survey, form) -> dict:
    """The posted answers by question id (`q<id>` fields), as the service takes them."""
    found = {}
    for q in survey.questions:
        name = f"q{q.id}"
        if q.kind is QuestionType.multiple:
            found[q.id] = form.getlist(name)
        else:
            found[q.id] = form.get(name)
    return found


def _page(token, survey, user_id, *, answers=None, errors=None, status=200):
    response = answering.own_response(survey, user_id)
    recipient = answering.recipient_of(survey, user_id)
    page = render_template(
        "surveys/respond.html",
        token=token,
        survey=survey,
        person=db.session.get(User, user_id),
        answers=answers if answers is not None else answering.current_answers(response),
        answered=recipient.responded,
        errors=errors or {},
        form=ActionForm(),
        scale=SCALE,
        scale_labels=SCALE_LABELS,
    )
    return page, status


@bp.route(LINK)
@public
def respond(token: str):
    survey, user_id = _load(token)
    answering.check_open(survey)
    if survey.anonymous and answering.recipient_of(survey, user_id).responded:
        return redirect(url_for(".thanks", token=token))
    return _page(token, survey, user_id)


@bp.route(LINK, methods=["POST"])
@public
@limiter.limit("30 per minute")
def submit(token: str):
    survey, user_id = _load(token)
    answers = form_answers(survey, request.form)
    if not ActionForm().validate_on_submit():
        errors = {"": [_("The form has expired. Please send it again.")]}
        return _page(token, survey, user_id, answers=answers, errors=errors, status=422)
    refused = {
        f"q{qid}": [UNSTORABLE_MESSAGE]
        for qid, value in answers.items()
        if any(
            isinstance(v, str) and unstorable(v)
            for v in (value if isinstance(value, list) else [value])
        )
    }
    try:
        if refused:
            raise ValidationFailed(fields=refused)
        answering.submit(survey, user_id, answers)
        db.session.commit()
    except ValidationFailed as exc:
        db.session.rollback()
        return _page(token, survey, user_id, answers=answers, errors=exc.fields, status=422)
    except KakawariError:
        db.session.rollback()
        raise
    return redirect(url_for(".thanks", token=token))


@bp.route(f"{LINK}/thanks")
@public
def thanks(token: str):
    survey, _user_id = _load(token)
    return render_template("surveys/thanks.html", survey=survey, token=token,
                           can_edit=not survey.anonymous and survey.is_open())  # fmt: skip
