"""Organiser pages for series and sessions (under /orgs/<org_id>/series).

Organisers and owners only: staff get 403, other organisations 404 (org_role_required).
The series' own page, with its places and participants, belongs to registration (manage.py):
events does not read registrations. Each POST is one unit of work: the services flush, the page
commits once (what participants hear of a change follows that commit).
"""

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.core.errors import KakawariError, NotFound
from app.core.forms import ActionForm
from app.events import services
from app.events.forms import (
    FORMAT_LABELS,
    SERIES_STATUS_LABELS,
    QuestionsForm,
    SeriesForm,
    SessionForm,
    error_text,
)
from app.events.models import SeriesStatus
from app.extensions import db
from app.orgs.access import org_role_required
from app.orgs.models import Role

bp = Blueprint("events", __name__)
organizers = org_role_required(Role.organizer)
SERIES = "/orgs/<int:org_id>/series/<int:series_id>"


@bp.context_processor
def _labels():
    return {"series_status_labels": SERIES_STATUS_LABELS, "format_labels": FORMAT_LABELS}


def _series_page(series):
    return redirect(url_for("manage.series", org_id=series.org_id, series_id=series.id))


def _page(template: str, form, **context):
    """Render a form page: 422 when it shows errors, so tests and tools can tell."""
    return render_template(template, form=form, org=g.org, **context), (422 if form.errors else 200)


def _submitted(form, save, done: str, series=None):
    """On a valid POST: save(form data) through the service, then say `done` and go to the
    series page (`series`, or the one save returned). Service errors go beside the fields, and
    None means: show the form (again)."""
    if not form.validate_on_submit():
        return None
    try:
        saved = save(form.service_data())
    except KakawariError as exc:
        form.show_errors(exc.fields or {"": [exc.message]})
        return None
    answer = _series_page(series or saved)
    db.session.commit()
    flash(done, "success")
    return answer


# --- series ------------------------------------------------------------------------------------


@bp.route("/orgs/<int:org_id>/series")
@organizers
def series_list(org_id: int):
    return render_template(
        "events/series_list.html", org=g.org, series_list=services.org_series(org_id)
    )


@bp.route("/orgs/<int:org_id>/series/new", methods=["GET", "POST"])
@organizers
def new_series(org_id: int):
    form = SeriesForm(data=SeriesForm.initial(None))
    done = _submitted(
        form,
        lambda data: services.create_series(g.org, current_user, data),
        _("The series was created as a draft. Add its sessions."),
    )
    return done or _page("events/series_form.html", form, series=None)


@bp.route(f"{SERIES}/edit", methods=["GET", "POST"])
@organizers
def edit_series(org_id: int, series_id: int):
    series = services.get_series(series_id, org_id=org_id)
    form = SeriesForm(data=SeriesForm.initial(series))
    done = _submitted(
        form,
        lambda data: services.update_series(series, current_user, data),
        _("The series was saved."),
    )
    return done or _page("events/series_form.html", form, series=series)


def _series_action(org_id: int, series_id: int, action, done: str):
    series = services.get_series(series_id, org_id=org_id)
    if ActionForm().validate_on_submit():
        try:
            action(series)
        except KakawariError as exc:
            flash(error_text(exc), "error")
        else:
            db.session.commit()
            flash(done, "success")
    return _series_page(series)


@bp.route(f"{SERIES}/publish", methods=["POST"])
@organizers
def publish_series(org_id: int, series_id: int):
    return _series_action(
        org_id,
        series_id,
        lambda s: services.publish_series(s, current_user, True),
        _("The series is published: people can find it and register."),
    )


@bp.route(f"{SERIES}/unpublish", methods=["POST"])
@organizers
def unpublish_series(org_id: int, series_id: int):
    return _series_action(
        org_id,
        series_id,
        lambda s: services.publish_series(s, current_user, False),
        _("The series is a draft again: only your organisation sees it."),
    )


@bp.route(f"{SERIES}/cancel", methods=["POST"])
@organizers
def cancel_series(org_id: int, series_id: int):
    def cancel(series):
        if series.status is not SeriesStatus.cancelled:
            services.cancel_series(series, current_user)

    return _series_action(
        org_id, series_id, cancel, _("The series and its upcoming sessions were cancelled.")
    )


@bp.route(f"{SERIES}/questions", methods=["GET", "POST"])
@organizers
def questions(org_id: int, series_id: int):
    series = services.get_series(series_id, org_id=org_id)
    form = QuestionsForm(data=QuestionsForm.initial(series))
    if form.validate_on_submit():
        rows, index = form.service_rows()
        try:
            services.set_questions(series, rows)
        except KakawariError as exc:
            form.show_errors(exc.fields or {"": [exc.message]}, index)
        else:
            answer = _series_page(series)
            db.session.commit()
            flash(_("The questions were saved."), "success")
            return answer
    return _page("events/questions.html", form, series=series)


# --- sessions ----------------------------------------------------------------------------------


def _another_venue(form) -> bool:
    """「会場を追加」 (サテライト会場): the form comes back with one more venue row, unsaved."""
    if "add_venue" in request.form and form.validate_on_submit():
        form.venues.append_entry()
        return True
    return False


@bp.route(f"{SERIES}/sessions/new", methods=["GET", "POST"])
@organizers
def new_session(org_id: int, series_id: int):
    series = services.get_series(series_id, org_id=org_id)
    form = SessionForm(data=SessionForm.initial(None))
    if _another_venue(form):
        return _page("events/session_form.html", form, series=series, session=None)
    done = _submitted(
        form,
        lambda data: services.add_session(series, current_user, data),
        _("The session was added."),
        series,
    )
    return done or _page("events/session_form.html", form, series=series, session=None)


def _session(org_id: int, series_id: int, session_id: int):
    session = services.get_session(session_id, org_id=org_id)
    if session.series_id != series_id:
        raise NotFound()
    return session


@bp.route(f"{SERIES}/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@organizers
def edit_session(org_id: int, series_id: int, session_id: int):
    session = _session(org_id, series_id, session_id)
    series = session.series
    form = SessionForm(data=SessionForm.initial(session))
    if _another_venue(form):
        return _page("events/session_form.html", form, series=series, session=session)
    done = _submitted(
        form,
        lambda data: services.update_session(session, current_user, data),
        _("The session was saved."),
        series,
    )
    return done or _page("events/session_form.html", form, series=series, session=session)


@bp.route(f"{SERIES}/sessions/<int:session_id>/cancel", methods=["POST"])
@organizers
def cancel_session(org_id: int, series_id: int, session_id: int):
    session = _session(org_id, series_id, session_id)
    answer = _series_page(session.series)
    if ActionForm().validate_on_submit():
        services.cancel_session(session, current_user)
        title = session.title
        db.session.commit()
        flash(_("%(title)s was cancelled.", title=title), "success")
    return answer
