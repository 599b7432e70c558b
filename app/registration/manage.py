"""Organiser pages for participants: the series page with its places, participant lists and
their CSV, adding people by hand, emailing a filtered group, drawing a lottery.

Organisers and owners only: staff get 403, other organisations 404 (org_role_required). The
series page lives here, not in events, because it shows registrations (events never reads them).
"""

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import format_number, ngettext
from flask_babel import gettext as _
from flask_login import current_user

from app.audit.services import record
from app.core.csvfile import csv_response
from app.core.errors import AlreadyRegistered, KakawariError, NotFound
from app.core.forms import ActionForm, apply_errors
from app.core.types import utcnow
from app.core.urls import external_url
from app.events import services as events
from app.events.forms import (
    FORMAT_LABELS,
    KIND_LABELS,
    SCOPE_LABELS,
    SELECTION_LABELS,
    SERIES_STATUS_LABELS,
    error_text,
)
from app.events.models import Selection, SeriesStatus
from app.extensions import db
from app.orgs.access import org_role_required
from app.orgs.models import Role
from app.registration import capacity, claims
from app.registration import manage_services as manage
from app.registration import services as reg
from app.registration.manage_forms import (
    STATUS_FILTERS,
    FilterForm,
    MessageForm,
    add_participant_form,
)
from app.registration.models import Registration
from app.registration.unit import one_unit_of_work

bp = Blueprint("manage", __name__)
organizers = org_role_required(Role.organizer)
SERIES = "/orgs/<int:org_id>/series/<int:series_id>"
SESSION = SERIES + "/sessions/<int:session_id>"


@bp.context_processor
def _labels():
    return {
        "series_status_labels": SERIES_STATUS_LABELS,
        "format_labels": FORMAT_LABELS,
        "scope_labels": SCOPE_LABELS,
        "selection_labels": SELECTION_LABELS,
        "kind_labels": KIND_LABELS,
        "status_filter_labels": dict(STATUS_FILTERS),
        "status_label": manage.status_label,
        "mode_label": reg.mode_label,
        "can_have_claim_code": claims.can_have_claim_code,
    }


def _series_and_session(org_id: int, series_id: int, session_id: int | None):
    series = events.get_series(series_id, org_id=org_id)
    if session_id is None:
        return series, None
    session = next((s for s in series.sessions if s.id == session_id), None)
    if session is None:
        raise NotFound()
    return series, session


def _list_args(filters: manage.Filters, session, sort: str = manage.DEFAULT_SORT) -> dict:
    """The filters (and the order, when not the usual one) as query arguments for links (a
    session page has its session in the path)."""
    args = {k: v for k, v in filters.as_dict().items() if k != "session_id"}
    if filters.session_id and session is None:
        args["session"] = filters.session_id
    if sort != manage.DEFAULT_SORT:
        args["sort"] = sort
    return args


def _sort_links(series, session, list_args: dict, sort: str) -> dict[str, dict]:
    """Per sortable column: the link that sorts by it (reversed when it is the order shown,
    keeping the filters, from the first page) and how the column is sorted now."""
    links = {}
    for key in manage.SORTS:
        state = "ascending" if sort == key else "descending" if sort == "-" + key else None
        wanted = "-" + key if state == "ascending" else key
        args = {k: v for k, v in list_args.items() if k != "sort"}
        if wanted != manage.DEFAULT_SORT:
            args["sort"] = wanted
        url = url_for(
            ".participants",
            org_id=series.org_id,
            series_id=series.id,
            session_id=session.id if session else None,
            **args,
        )
        links[key] = {"url": url, "state": state}
    return links


# --- the series page ---------------------------------------------------------------------------


@bp.route(SERIES)
@organizers
def series(org_id: int, series_id: int):
    series = events.get_series(series_id, org_id=org_id)
    return render_template(
        "manage/series.html",
        org=g.org,
        series=series,
        description=events.render_markdown(series.description),
        places=capacity.summary(series.sessions),
        counts=manage.registration_counts(series),
        action_form=ActionForm(),
    )


@bp.route(f"{SERIES}/lottery", methods=["GET", "POST"])
@organizers
def lottery(org_id: int, series_id: int):
    """A confirmation page, then the draw (which also runs by itself at the deadline)."""
    series = events.get_series(series_id, org_id=org_id)
    if series.selection is not Selection.lottery or series.status is SeriesStatus.cancelled:
        raise NotFound()
    closes = series.registration_closes_at
    form = ActionForm()
    if form.validate_on_submit():
        try:
            with one_unit_of_work():
                result = reg.draw_lottery(series, actor=current_user)
        except KakawariError as exc:
            flash(error_text(exc), "error")
        else:
            flash(
                _(
                    "The lottery was drawn: %(won)d of %(entries)d got a place (seed %(seed)s).",
                    **result,
                ),
                "success",
            )
        return redirect(url_for(".series", org_id=org_id, series_id=series_id))
    return render_template(
        "manage/lottery.html",
        org=g.org,
        series=series,
        form=form,
        places=capacity.summary(series.sessions),
        counts=manage.registration_counts(series),
        still_open=bool(closes and closes > utcnow()),
    )


# --- participants ------------------------------------------------------------------------------


def _participants_page(series, session, message_form, status=200):
    filters = manage.Filters.read(request.args, series, session)
    sort = manage.read_sort(request.args.get("sort"))
    number = request.args.get("page", 1, type=int)
    page = manage.participant_page(series, filters, number, per_page=manage.PER_PAGE, sort=sort)
    registrations = page.registrations
    list_args = _list_args(filters, session, sort)
    return render_template(
        "manage/participants.html",
        org=g.org,
        series=series,
        session=session,
        sessions=[session] if session else series.sessions,
        filters=filters,
        filter_form=FilterForm(request.args, series=series, session=session),
        list_args=list_args,
        sort_links=_sort_links(series, session, list_args, sort),
        registrations=registrations,
        page=page,
        format_number=format_number,
        action_form=ActionForm(),
        positions=manage.waitlist_positions(registrations),
        reachable=page.reachable,
        message_form=message_form,
        history=manage.message_history(series),
        mail_address=manage.mail_address,
    ), status


@bp.route(f"{SERIES}/participants")
@bp.route(f"{SESSION}/participants")
@organizers
def participants(org_id: int, series_id: int, session_id: int | None = None):
    series, session = _series_and_session(org_id, series_id, session_id)
    return _participants_page(series, session, MessageForm())


@bp.route(f"{SERIES}/participants.csv")
@bp.route(f"{SESSION}/participants.csv")
@organizers
def participants_csv_link(org_id: int, series_id: int, session_id: int | None = None):
    """The CSV is a POST (the download is audited): an old link lands on the list it shows."""
    _series_and_session(org_id, series_id, session_id)  # 404 as the list would
    return redirect(
        url_for(
            ".participants",
            org_id=org_id,
            series_id=series_id,
            session_id=session_id,
            **request.args.to_dict(),
        )
    )


@bp.route(f"{SERIES}/participants.csv", methods=["POST"])
@bp.route(f"{SESSION}/participants.csv", methods=["POST"])
@organizers
def participants_csv(org_id: int, series_id: int, session_id: int | None = None):
    """The list with the filters and order of the URL's query string (the page's button keeps
    them), as a CSV; the download is recorded in the organisation's log, committed before the
    file goes out, which then streams (the people read a batch at a time)."""
    series, session = _series_and_session(org_id, series_id, session_id)
    filters = manage.Filters.read(request.args, series, session)
    record(
        "participants.exported",
        org=g.org,
        series_id=series.id,
        filters=filters.as_dict(),
        rows=manage.participant_count(series, filters),
    )
    db.session.commit()
    name = f"participants-{series.id}" + (f"-session-{session.id}" if session else "") + ".csv"
    rows = manage.participants_csv_rows(
        series, filters, sort=manage.read_sort(request.args.get("sort"))
    )
    return csv_response(manage.participants_csv_header(series), rows, name)


@bp.route(f"{SERIES}/messages", methods=["POST"])
@bp.route(f"{SESSION}/messages", methods=["POST"])
@organizers
def send_message(org_id: int, series_id: int, session_id: int | None = None):
    """Email the people the list shows with the filters in this URL's query string."""
    series, session = _series_and_session(org_id, series_id, session_id)
    form = MessageForm()
    if form.validate_on_submit():
        filters = manage.Filters.read(request.args, series, session)
        try:
            with one_unit_of_work():
                entry, failed = manage.email_group(
                    series, current_user, filters, form.subject.data, form.body.data
                )
        except KakawariError as exc:
            apply_errors(form, exc.fields or {"": [exc.message]})
        else:
            flash(
                ngettext(
                    "The message was sent to %(num)d person.",
                    "The message was sent to %(num)d people.",
                    entry.recipient_count,
                ),
                "success",
            )
            if failed:
                flash(
                    ngettext(
                        "%(num)d message could not be sent.",
                        "%(num)d messages could not be sent.",
                        failed,
                    ),
                    "error",
                )
            return redirect(
                url_for(
                    ".participants",
                    org_id=org_id,
                    series_id=series_id,
                    session_id=session_id,
                    **_list_args(filters, session),
                )
            )
    return _participants_page(series, session, form, 422)


@bp.route(f"{SERIES}/participants/<int:registration_id>/claim-code", methods=["POST"])
@organizers
def claim_code(org_id: int, series_id: int, registration_id: int):
    """A code for someone added without an email, to take their records into the account
    they make themselves (read to them over the phone, or printed); a new code replaces the
    last one."""
    series = events.get_series(series_id, org_id=org_id)
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.series_id != series.id:
        raise NotFound()
    person = registration.user
    try:
        with one_unit_of_work():
            code = claims.new_claim_code(person, actor=current_user, org=g.org)
    except KakawariError as exc:
        flash(str(exc.message), "error")
        return redirect(url_for(".participants", org_id=org_id, series_id=series_id))
    return render_template(
        "manage/claim_code.html",
        org=g.org,
        series=series,
        person=person,
        code=code,
        expires_at=person.claim_code_expires_at,
        claim_url=external_url("registration.claim"),
    )


@bp.route(f"{SERIES}/participants/new", methods=["GET", "POST"])
@organizers
def add_participant(org_id: int, series_id: int):
    """Someone who signed up by phone or at the desk."""
    series = events.get_series(series_id, org_id=org_id)
    now = utcnow()
    upcoming = [s for s in series.sessions if not s.is_cancelled and s.starts_at > now]
    form = add_participant_form(series, upcoming)
    if form.validate_on_submit():
        modes, session_ids = form.places()
        try:
            with one_unit_of_work():
                registration = manage.add_participant(
                    series,
                    current_user,
                    form.person(),
                    modes=modes,
                    venues=form.venues(),
                    session_ids=session_ids,
                    answers=form.answers(),
                    consent=form.consent.data,
                )
        except AlreadyRegistered:
            form.email.errors = [_("This person is already registered for this series.")]
        except KakawariError as exc:
            form.show_errors(exc.fields or {"": [exc.message]})
        else:
            # what the organiser typed, the same words whether or not an account has the address
            person = registration.user
            message = _("%(name)s was registered.", name=person.name)
            if person.contact_email:
                message += " " + _(
                    "We emailed %(email)s a link to confirm and take it into their account.",
                    email=person.contact_email,
                )
            flash(f"{message} {manage.status_label(registration.status)}", "success")
            return redirect(url_for(".participants", org_id=org_id, series_id=series_id))
    page = render_template("manage/add_participant.html", org=g.org, series=series, form=form)
    return page, (422 if form.errors else 200)
