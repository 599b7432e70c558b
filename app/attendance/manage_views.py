"""Organiser pages of attendance: one session's dashboard with corrections, and one person's
history within the organisation.

Everything here is for organisers and owners (staff check people in at the door, where the
scanner shows its own counts, and see no attendance records). The dashboard shows the counts
of everyone, and the people a page at a time, each row linking to its own correction page, so
that it stays light with thousands of people. Other organisations get 404
(org_role_required). Counts come from app.attendance.dashboards, corrections from
app.attendance.services.override(), the one place that decides them.
"""

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import format_number
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from app.archive.services import figures as archive_figures
from app.attendance import dashboards
from app.attendance import services as attendance
from app.attendance.forms import (
    AUTOMATIC,
    STATUS_LABELS,
    CorrectionForm,
    StatusFilterForm,
    status_label,
)
from app.attendance.models import Attendance
from app.attendance.venue_figures import venue_figures
from app.core.errors import NotFound, ValidationFailed
from app.core.forms import apply_errors
from app.core.types import utcnow
from app.events import services as events
from app.extensions import db
from app.orgs.access import org_role_required
from app.orgs.models import Role
from app.registration.manage_services import mail_address
from app.registration.manage_services import status_label as place_status_label
from app.registration.services import mode_label

bp = Blueprint("attendance_manage", __name__)
SESSION = "/orgs/<int:org_id>/series/<int:series_id>/sessions/<int:session_id>/attendance"
#: the JSON the dashboard polls (app/api/attendance.py)
API_SESSION = "/api/v1/sessions/{id}/attendance"
#: the query string of the people table that its links and corrections keep
LIST_ARGS = ("q", "status", "sort", "page")


@bp.context_processor
def _labels():
    return {
        "status_label": status_label,
        "status_labels": STATUS_LABELS,
        "mode_label": mode_label,
        "place_status_label": place_status_label,
        "format_number": format_number,
    }


def _session_of(org_id: int, series_id: int, session_id: int):
    series = events.get_series(series_id, org_id=org_id)
    session = next((s for s in series.sessions if s.id == session_id), None)
    if session is None:
        raise NotFound()
    return series, session


def _list_args() -> dict[str, str]:
    """The table's search, filter, order and page from the query string, for its links and
    for the way back from a correction."""
    return {k: v for k, v in request.args.items() if k in LIST_ARGS and v}


@bp.route(SESSION)
@org_role_required(Role.organizer)
def session_dashboard(org_id: int, series_id: int, session_id: int):
    """The counts (of everyone) and one page of the people table; each row links to its
    correction, so the page weighs the same for 10 people or 5,000."""
    series, session = _session_of(org_id, series_id, session_id)
    filters = StatusFilterForm(request.args)
    list_args = _list_args()
    page = request.args.get("page", 1, type=int)  # not a number: the first page
    # Before the start nobody has attended yet: the page shows who is expected, per mode.
    before_start = not session.is_cancelled and session.starts_at > utcnow()
    return render_template(
        "attendance/session_dashboard.html",
        org=g.org,
        series=series,
        session=session,
        before_start=before_start,
        expected=dashboards.expected_counts(session.id) if before_start else None,
        expected_people=(
            dashboards.expected_people(session.id, search=filters.search(), page=page)
            if before_start
            else None
        ),
        summary=dashboards.session_summary(session.id),
        people=dashboards.session_people(
            session.id,
            status=filters.chosen_status(),
            search=filters.search(),
            descending=filters.descending(),
            page=page,
        ),
        filters=filters,
        list_args=list_args,
        filter_args={k: v for k, v in list_args.items() if k != "page"},
        can_correct=g.membership.role.at_least(Role.organizer),
        status_labels_json={s.value: str(label) for s, label in STATUS_LABELS.items()},
        is_final=attendance.is_final(session.id),
        api_url=API_SESSION.format(id=session.id),
        archive=archive_figures([session.id]).get(session.id, (0, 0)),
        venues=venue_figures([session]).get(session.id, []),
    )


def _record_of(session, attendance_id: int) -> Attendance:
    record = db.session.get(
        Attendance,
        attendance_id,
        options=[joinedload(Attendance.user), joinedload(Attendance.overridden_by)],
    )
    if record is None or record.session_id != session.id:
        raise NotFound()
    return record


def _correction_page(series, session, record: Attendance, form: CorrectionForm, status=200):
    page = render_template(
        "attendance/correction.html",
        org=g.org,
        series=series,
        session=session,
        record=record,
        form=form,
        list_args=_list_args(),
    )
    return page, status


@bp.route(f"{SESSION}/<int:attendance_id>")
@org_role_required(Role.organizer)
def correction(org_id: int, series_id: int, session_id: int, attendance_id: int):
    """One record and its correction form, opened from its row of the table."""
    series, session = _session_of(org_id, series_id, session_id)
    record = _record_of(session, attendance_id)
    current = record.override_status.value if record.override_status else AUTOMATIC
    return _correction_page(series, session, record, CorrectionForm(formdata=None, status=current))


@bp.route(f"{SESSION}/<int:attendance_id>", methods=["POST"])
@org_role_required(Role.organizer)
def correct(org_id: int, series_id: int, session_id: int, attendance_id: int):
    """Set or clear the organiser's verdict on one record; the reason is required. Back to
    the table where the organiser was, at the record's row."""
    series, session = _session_of(org_id, series_id, session_id)
    record = _record_of(session, attendance_id)
    form = CorrectionForm()
    if form.validate_on_submit():
        try:
            attendance.override(record, form.chosen_status(), form.reason.data, current_user)
            db.session.commit()
        except ValidationFailed as exc:
            apply_errors(form, exc.fields or {"": [exc.message]})
        else:
            flash(
                _(
                    "The attendance of %(name)s is now: %(status)s.",
                    name=record.user.name,
                    status=status_label(record.status),
                ),
                "success",
            )
            return redirect(
                url_for(
                    ".session_dashboard",
                    org_id=org_id,
                    series_id=series_id,
                    session_id=session_id,
                    _anchor=f"attendance-{record.id}",
                    **_list_args(),
                )
            )
    return _correction_page(series, session, record, form, 422)


@bp.route("/orgs/<int:org_id>/people/<int:user_id>")
@org_role_required(Role.organizer)
def person(org_id: int, user_id: int):
    """One person's registrations and attendance in this organisation's series, and nothing
    from any other organisation. Someone who never registered here does not exist (404)."""
    registrations = dashboards.registrations_in_org(org_id, user_id)
    if not registrations:
        raise NotFound()
    user = registrations[0].user
    return render_template(
        "attendance/person.html",
        org=g.org,
        person=user,
        lines=dashboards.person_history(registrations, user_id),
        mail_address=mail_address,
    )
