"""Organisers' survey pages: the surveys of a series, building one (settings, questions, the
関係人口 set), sending it, the one reminder and closing. Organisers and owners of the series'
organisation (staff 403, other organisations 404). Every POST commits once, then redirects."""

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.core.errors import KakawariError, NotFound, ValidationFailed
from app.core.forms import ActionForm, apply_errors
from app.events import services as events
from app.extensions import db
from app.orgs.access import org_role_required
from app.orgs.models import Role
from app.surveys import services as surveys
from app.surveys.forms import (
    AUDIENCE,
    QUESTION_TYPES,
    WHOLE_SERIES,
    NewSurveyForm,
    QuestionForm,
    SettingsForm,
)
from app.surveys.models import Survey, SurveyQuestion

bp = Blueprint("surveys", __name__)
organizers = org_role_required(Role.organizer)
SERIES = "/orgs/<int:org_id>/series/<int:series_id>/surveys"
SURVEY = SERIES + "/<int:survey_id>"


def survey_of(org_id: int, series_id: int, survey_id: int) -> tuple:
    series = events.get_series(series_id, org_id=org_id)
    survey = db.session.get(Survey, survey_id)
    if survey is None or survey.series_id != series.id:
        raise NotFound()
    return series, survey


def _question_of(survey: Survey, question_id: int) -> SurveyQuestion:
    found = next((q for q in survey.questions if q.id == question_id), None)
    if found is None:
        raise NotFound()
    return found


@bp.route(SERIES)
@organizers
def series_surveys(org_id: int, series_id: int):
    series = events.get_series(series_id, org_id=org_id)
    form = NewSurveyForm(formdata=None)
    form.set_sessions(series)
    chosen = request.args.get("session_id", "")
    if chosen in {c.value for c in form.target.choices}:
        form.target.data = chosen
    return _list_page(series, form)


def _list_page(series, form, status=200):
    page = render_template(
        "surveys/list.html", org=g.org, series=series, form=form,
        surveys=surveys.surveys_of(series),
    )  # fmt: skip
    return page, status


@bp.route(SERIES, methods=["POST"])
@organizers
def create(org_id: int, series_id: int):
    series = events.get_series(series_id, org_id=org_id)
    form = NewSurveyForm()
    form.set_sessions(series)
    if form.validate_on_submit():
        target = form.target.data
        session = None
        if target != WHOLE_SERIES:
            session = next((s for s in series.sessions if str(s.id) == target), None)
        try:
            if session is None and target != WHOLE_SERIES:
                raise ValidationFailed(fields={"target": [_("Choose a session of this series.")]})
            survey = surveys.create_survey(series, session, form.title.data)
            db.session.commit()
        except ValidationFailed as exc:
            db.session.rollback()
            apply_errors(form, exc.fields)
        else:
            flash(_("The survey was created. Add its questions."), "success")
            return redirect(url_for(".survey", org_id=org_id, series_id=series_id,
                                    survey_id=survey.id))  # fmt: skip
    return _list_page(events.get_series(series_id, org_id=org_id), form, 422)


def _settings_form(survey: Survey, formdata=None) -> SettingsForm:
    form = SettingsForm(formdata=formdata)
    if formdata is None:
        form.privacy.data = "anonymous" if survey.anonymous else "named"
        form.audience.data = [k for k, _label in AUDIENCE if k in survey.audience_keys]
        form.open_days.data = survey.open_days
    if survey.locked:
        form.privacy.render_kw = {"disabled": True}
        form.audience.render_kw = {"disabled": True}
    return form


def _survey_page(series, survey, *, settings=None, question=None, status=200):
    page = render_template(
        "surveys/survey.html",
        org=g.org,
        series=series,
        survey=survey,
        settings=settings or _settings_form(survey),
        question_form=question or QuestionForm(formdata=None),
        action_form=ActionForm(),
        question_types=QUESTION_TYPES,
        audience_labels=dict(AUDIENCE),
    )
    return page, status


@bp.route(SURVEY)
@organizers
def survey(org_id: int, series_id: int, survey_id: int):
    series, survey = survey_of(org_id, series_id, survey_id)
    return _survey_page(series, survey)


def _back(org_id, series_id, survey_id, anchor=None):
    return redirect(url_for(".survey", org_id=org_id, series_id=series_id, survey_id=survey_id,
                            _anchor=anchor))  # fmt: skip


@bp.route(f"{SURVEY}/settings", methods=["POST"])
@organizers
def settings(org_id: int, series_id: int, survey_id: int):
    series, survey = survey_of(org_id, series_id, survey_id)
    form = _settings_form(survey, request.form)
    if form.validate_on_submit():
        audience = set(form.audience.data or [])
        anonymous = form.privacy.data == "anonymous"
        if survey.locked:  # the disabled fields are not sent: they keep their values
            anonymous, audience = survey.anonymous, survey.audience_keys
        try:
            surveys.update_settings(
                survey, anonymous=anonymous, to_venue="venue" in audience,
                to_online="online" in audience, to_partial="partial" in audience,
                to_archive="archive" in audience,
                open_days=form.open_days.data if form.open_days.data is not None else -1,
            )  # fmt: skip
            db.session.commit()
        except KakawariError as exc:
            db.session.rollback()
            apply_errors(form, exc.fields or {"": [exc.message]})
        else:
            flash(_("The settings were saved."), "success")
            return _back(org_id, series_id, survey_id, "sv-settings")
    return _survey_page(series, survey, settings=form, status=422)


@bp.route(f"{SURVEY}/questions", methods=["POST"])
@organizers
def add_question(org_id: int, series_id: int, survey_id: int):
    series, survey = survey_of(org_id, series_id, survey_id)
    form = QuestionForm()
    if form.validate_on_submit():
        try:
            surveys.add_question(survey, form.kind.data, form.label.data,
                                 form.choices_text.data, form.required.data)  # fmt: skip
            db.session.commit()
        except KakawariError as exc:
            db.session.rollback()
            apply_errors(form, _question_fields(exc))
        else:
            flash(_("The question was added."), "success")
            return _back(org_id, series_id, survey_id, "sv-questions")
    return _survey_page(series, survey, question=form, status=422)


def _question_fields(exc: KakawariError) -> dict:
    fields = exc.fields or {"": [exc.message]}
    return {("choices_text" if k == "choices" else k): v for k, v in fields.items()}


@bp.route(f"{SURVEY}/questions/<int:question_id>", methods=["POST"])
@organizers
def edit_question(org_id: int, series_id: int, survey_id: int, question_id: int):
    _series, survey = survey_of(org_id, series_id, survey_id)
    question = _question_of(survey, question_id)
    form = QuestionForm()
    if form.validate_on_submit():
        try:
            surveys.edit_question(question, form.label.data, form.choices_text.data,
                                  form.required.data)  # fmt: skip
            db.session.commit()
            flash(_("The question was saved."), "success")
        except KakawariError as exc:
            db.session.rollback()
            flash(" ".join(str(m) for ms in _question_fields(exc).values() for m in ms), "error")
    return _back(org_id, series_id, survey_id, f"q-{question_id}")


def _action(org_id, series_id, survey_id, do, done: str, anchor=None):
    """A button: CSRF-checked, the service, one commit, back to the survey with a message."""
    _series, survey = survey_of(org_id, series_id, survey_id)
    if not ActionForm().validate_on_submit():
        flash(_("The form has expired. Please try again."), "error")
        return _back(org_id, series_id, survey_id)
    try:
        result = do(survey)
        db.session.commit()
    except KakawariError as exc:
        db.session.rollback()
        flash(" ".join(str(m) for ms in exc.fields.values() for m in ms) or str(exc.message),
              "error")  # fmt: skip
    else:
        flash(done % {"n": result} if "%(n)" in done else done, "success")
    return _back(org_id, series_id, survey_id, anchor)


@bp.route(f"{SURVEY}/questions/<int:question_id>/remove", methods=["POST"])
@organizers
def remove_question(org_id: int, series_id: int, survey_id: int, question_id: int):
    def do(survey):
        surveys.remove_question(_question_of(survey, question_id))

    return _action(org_id, series_id, survey_id, do, _("The question was removed."),
                   "sv-questions")  # fmt: skip


@bp.route(f"{SURVEY}/kakawari-set", methods=["POST"])
@organizers
def add_set(org_id: int, series_id: int, survey_id: int):
    done = _("%(n)s questions of the 関係人口 set were added.")
    return _action(org_id, series_id, survey_id, surveys.add_kakawari_set, done, "sv-questions")


@bp.route(f"{SURVEY}/send", methods=["POST"])
@organizers
def send(org_id: int, series_id: int, survey_id: int):
    return _action(org_id, series_id, survey_id,
                   lambda s: surveys.send(s, current_user),
                   _("The survey was sent to %(n)s people."))  # fmt: skip


@bp.route(f"{SURVEY}/remind", methods=["POST"])
@organizers
def remind(org_id: int, series_id: int, survey_id: int):
    return _action(org_id, series_id, survey_id,
                   lambda s: surveys.remind(s, current_user),
                   _("The reminder was sent to %(n)s people."))  # fmt: skip


@bp.route(f"{SURVEY}/close", methods=["POST"])
@organizers
def close(org_id: int, series_id: int, survey_id: int):
    return _action(org_id, series_id, survey_id, surveys.close, _("The survey is closed."))
