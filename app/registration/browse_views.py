"""Participant pages for browsing: the public series list, a series' and a session's page,
and the calendars (a series' feed, the person's private feed and its settings)."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.core.access import login_required, public
from app.core.errors import NotFound, RegistrationClosed, RegistrationNotOpen
from app.core.forms import ActionForm
from app.core.types import utcnow
from app.events import services as events
from app.events.models import SeriesStatus
from app.registration import calendar, capacity, services
from app.registration.blueprint import bp
from app.registration.forms import add_session_forms
from app.registration.models import RegistrationStatus
from app.registration.unit import one_unit_of_work

# --- browsing ----------------------------------------------------------------------------------


@bp.route("/series/<int:series_id>")
@public
def series_page(series_id: int):
    series = events.get_series(series_id, public=True)
    mine = None
    if current_user.is_authenticated:
        mine = services.active_registration(series.id, current_user.id)
    summary, window = capacity.summary(series.sessions), window_of(series)
    return render_template(
        "registration/series.html",
        series=series,
        description=events.render_markdown(series.description),
        summary=summary,
        window=window,
        mine=mine,
        add_forms=booking_forms(mine, summary, window),
        positions=capacity.waitlist_positions(mine.places if mine else []),
        now=utcnow(),
    )


def booking_forms(registration, summary: dict, window: str) -> dict:
    """{session_id: AddSessionForm} for the sessions the person can still book (none when
    registration is not open): the 「この回に申し込む」 buttons."""
    if registration is None or window != "open":
        return {}
    if registration.status is RegistrationStatus.cancelled and services.active_registration(
        registration.series_id, registration.user_id
    ):
        return {}  # the person registered again since: sessions are booked in that one
    to_add = services.sessions_to_add(registration)
    return add_session_forms(to_add, summary, current_user, registration.series)


def window_of(series) -> str:
    """Where registration stands: "open", "not_open", "closed", "drawn" or "cancelled"."""
    if series.status is SeriesStatus.cancelled:
        return "cancelled"
    if series.lottery_drawn_at:
        return "drawn"
    try:
        services.registration_window(series)
    except RegistrationNotOpen:
        return "not_open"
    except RegistrationClosed:
        return "closed"
    return "open"


@bp.route("/sessions/<int:session_id>")
@public
def session_page(session_id: int):
    """The page calendar entries link to (online participants start here); never the stream."""
    session = events.get_session(session_id)
    if session.series.status is SeriesStatus.draft:
        raise NotFound()
    place = None
    if current_user.is_authenticated:
        mine = services.active_registration(session.series_id, current_user.id)
        place = mine.place_for(session.id) if mine else None
    return render_template(
        "registration/session.html",
        session=session,
        series=session.series,
        place=place,
        positions=capacity.waitlist_positions([place] if place else []),
    )


# --- calendars ---------------------------------------------------------------------------------


def _ics(data: bytes, filename: str, *, private: bool = False):
    headers = {
        "Content-Type": "text/calendar; charset=utf-8",
        "Content-Disposition": f'inline; filename="{filename}"',
        "Cache-Control": "private, no-cache" if private else "public, max-age=300",
    }
    return data, 200, headers


@bp.route("/series/<int:series_id>/calendar.ics")
@public
def series_calendar(series_id: int):
    series = events.get_series(series_id, public=True)
    return _ics(calendar.series_feed(series), f"series-{series.id}.ics")


@bp.route("/calendar/<token>.ics")
@public
def private_calendar(token: str):
    """The person's feed; the signed token is the key (calendar apps cannot log in)."""
    user = calendar.feed_owner(token)
    feed = calendar.person_feed(user, services.user_registrations(user))
    return _ics(feed, "kakawari.ics", private=True)


@bp.route("/account/calendar")
@login_required
def calendar_settings():
    url = calendar.feed_url(current_user)
    return render_template(
        "registration/calendar.html",
        feed_url=url,
        webcal_url="webcal://" + url.split("://", 1)[1],
        action_form=ActionForm(),
    )


@bp.route("/account/calendar/reset", methods=["POST"])
@login_required
def reset_calendar():
    with one_unit_of_work():
        calendar.reset_feed(current_user)
    flash(_("Your calendar has a new address. The old one no longer works."), "success")
    return redirect(url_for(".calendar_settings"))
