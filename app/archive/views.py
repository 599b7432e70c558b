"""Archive pages: the organiser's link, window and viewing figures for one session, and the
participant's archive page (the only page showing the recording), which measures viewing by
heartbeats to the API (static/js/archive.js → POST /api/v1/sessions/<id>/archive/heartbeat)."""

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.archive import receivers as _receivers  # noqa: F401 -- connects them
from app.archive import services
from app.archive.forms import ArchiveForm
from app.core.access import login_required
from app.core.errors import NotFound, ValidationFailed
from app.core.forms import apply_errors
from app.core.paging import PageWindow, page_number
from app.core.types import utcnow
from app.events import services as events
from app.extensions import db
from app.orgs.access import org_role_required
from app.orgs.models import Role

bp = Blueprint("archive", __name__)
MANAGE = "/orgs/<int:org_id>/series/<int:series_id>/sessions/<int:session_id>/archive"
PER_PAGE = 50
NO_STORE = {"Cache-Control": "private, no-store"}


def _session_of(org_id: int, series_id: int, session_id: int):
    series = events.get_series(series_id, org_id=org_id)
    session = next((s for s in series.sessions if s.id == session_id), None)
    if session is None:
        raise NotFound()
    return series, session


def _manage_page(series, session, form, status=200):
    archive = services.get_archive(session.id)
    people, minutes = services.figures([session.id]).get(session.id, (0, 0))
    page = PageWindow(
        page_number(request.args.get("page", 1, type=int), people, PER_PAGE), PER_PAGE, people
    )
    _total, rows = services.viewings(session.id, page.offset, PER_PAGE)
    return render_template(
        "archive/manage.html",
        org=g.org,
        series=series,
        session=session,
        archive=archive,
        form=form,
        now=utcnow(),
        people=people,
        minutes=minutes,
        rows=rows,
        page=page,
    ), status


@bp.route(MANAGE)
@org_role_required(Role.organizer)
def manage(org_id: int, series_id: int, session_id: int):
    series, session = _session_of(org_id, series_id, session_id)
    archive = services.get_archive(session.id)
    form = ArchiveForm(formdata=None, data=ArchiveForm.initial(archive))
    return _manage_page(series, session, form)


@bp.route(MANAGE, methods=["POST"])
@org_role_required(Role.organizer)
def save(org_id: int, series_id: int, session_id: int):
    series, session = _session_of(org_id, series_id, session_id)
    form = ArchiveForm()
    if form.validate_on_submit():
        try:
            archive = services.save(session, current_user, form.service_data())
            db.session.commit()  # the mail, if any, is queued in this same commit
        except ValidationFailed as exc:
            db.session.rollback()
            apply_errors(form, exc.fields or {"": [exc.message]})
        else:
            flash(
                _("The archive is published.")
                if archive.published_at
                else _("The archive is saved (not published)."),
                "success",
            )
            return redirect(url_for(".manage", org_id=org_id, series_id=series_id,
                                    session_id=session_id))  # fmt: skip
    return _manage_page(series, session, form, 422)


@bp.route("/sessions/<int:session_id>/archive")
@login_required
def watch(session_id: int):
    """The recording for the people who may watch it now; for anyone else, why not (never the
    link)."""
    session = events.get_session(session_id)
    now = utcnow()
    archive = services.get_archive(session.id)
    place = services.place_of(session.id, current_user.id)
    why = services.verdict(archive, place, now)
    if why != "watch":
        status = 404 if why == "none" else 403
        return render_template(
            "archive/not_allowed.html",
            session=session,
            series=session.series,
            archive=archive if why in ("not_yet", "closed") else None,
            why=why,
        ), status
    minutes = services.minutes_of(current_user.id, [session.id]).get(session.id, 0)
    return render_template(
        "archive/watch.html",
        session=session,
        series=session.series,
        archive=archive,
        minutes=minutes,
        heartbeat_url=f"/api/v1/sessions/{session.id}/archive/heartbeat",
        interval=current_app.config["ARCHIVE_HEARTBEAT_SECONDS"],
    ), NO_STORE


@bp.app_context_processor
def _archive_offer():
    """`archive_offer(session)` for the session page (registration's template, which cannot
    import this area): what the logged-in person may do with the session's archive, or None
    when there is none to speak of. Never the recording's address."""

    def archive_offer(session):
        if not current_user.is_authenticated or session.is_cancelled:
            return None
        archive = services.get_archive(session.id)
        if archive is None or archive.published_at is None:
            return None
        why = services.verdict(archive, services.place_of(session.id, current_user.id), utcnow())
        return {"why": why, "archive": archive}

    return {"archive_offer": archive_offer}
