"""Participant pages: the public series list and page, registering, 申込一覧, calendars."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from app.core.access import login_required, public
from app.core.errors import (
    AlreadyRegistered,
    KakawariError,
    NotFound,
    RegistrationClosed,
    RegistrationNotOpen,
    ValidationFailed,
)
from app.core.forms import ActionForm, apply_errors
from app.core.types import utcnow
from app.events import services as events
from app.events.models import Mode, SeriesStatus
from app.extensions import db, limiter
from app.registration import calendar, capacity, claims, invitations, next_steps, services
from app.registration.forms import (
    FORMAT_LABELS,
    MODE_LABELS,
    AddSessionForm,
    ClaimForm,
    ModeForm,
    SeriesFilterForm,
    add_session_forms,
    registration_form,
)
from app.registration.models import Place, PlaceStatus, Registration, RegistrationStatus

bp = Blueprint("registration", __name__)

#: tries at a claim code per account (codes are random: guessing is cut short)
claim_limit = limiter.limit(
    lambda: current_app.config["CLAIMS_PER_ACCOUNT"],
    key_func=lambda: f"claim:{current_user.id}",
    methods=["POST"],
    scope="claim",
)


@bp.context_processor
def _labels():
    return {
        "MODE_LABELS": MODE_LABELS,
        "FORMAT_LABELS": FORMAT_LABELS,
        "availability_of": capacity.availability,
    }


@bp.app_context_processor
def _next_steps():
    """The buttons of next_actions (templates/registration/_macros.html), on any area's page."""
    return {"next_step": next_steps.next_step}


# --- browsing ----------------------------------------------------------------------------------


@bp.route("/series")
@public
def series_list():
    form = SeriesFilterForm(formdata=request.args)
    now = utcnow()
    cards = [_card(s, now) for s in events.public_series(**form.filters(), now=now)]
    return render_template("registration/series_list.html", form=form, cards=cards)


def _card(series, now) -> dict:
    """What a card in the list shows: the next session and the modes the series offers."""
    held = [s for s in series.sessions if not s.is_cancelled]
    return {
        "series": series,
        "next": next((s for s in held if s.ends_at > now), None),
        "modes": [m for m in Mode if any(m in s.modes for s in held)],
    }


@bp.route("/series/<int:series_id>")
@public
def series_page(series_id: int):
    series = events.get_series(series_id, public=True)
    mine = None
    if current_user.is_authenticated:
        mine = services.active_registration(series.id, current_user.id)
    summary, window = capacity.summary(series.sessions), _window(series)
    return render_template(
        "registration/series.html",
        series=series,
        description=events.render_markdown(series.description),
        summary=summary,
        window=window,
        mine=mine,
        add_forms=_add_forms(mine, summary, window),
        positions=capacity.waitlist_positions(mine.places if mine else []),
        now=utcnow(),
    )


def _add_forms(registration, summary: dict, window: str) -> dict:
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


def _window(series) -> str:
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


# --- registering -------------------------------------------------------------------------------


@bp.route("/series/<int:series_id>/register", methods=["GET", "POST"])
@login_required
def register(series_id: int):
    series = events.get_series(series_id, public=True)
    existing = services.active_registration(series.id, current_user.id)
    if existing:  # more sessions are booked on the registration page (「この回に申し込む」)
        flash(_("You are already registered for this series."), "info")
        url = url_for(".registration_detail", registration_id=existing.id)
        return redirect(url + ("#add-sessions" if services.sessions_to_add(existing) else ""))
    now = utcnow()
    sessions = [s for s in series.sessions if not s.is_cancelled and s.starts_at > now]
    summary = capacity.summary(sessions)
    form = registration_form(series, sessions, summary, current_user)
    status = 200
    if form.validate_on_submit():
        try:
            registration = services.register(
                series,
                current_user,
                modes=form.modes(),
                session_ids=form.session_ids(),
                answers=form.answers(),
                consent=bool(form.consent.data),
            )
        except AlreadyRegistered as exc:  # a double submit: the first one went through
            flash(_("You are already registered for this series."), "info")
            if exc.registration_id is None:
                return redirect(url_for(".my_registrations"))
            return redirect(url_for(".registration_detail", registration_id=exc.registration_id))
        except ValidationFailed as exc:
            apply_errors(form, form.field_errors(exc.fields))
            status = exc.status
        except KakawariError as exc:
            form.form_errors.append(str(exc.message))
            status = exc.status
        else:
            return redirect(url_for(".confirmation", registration_id=registration.id))
    return render_template(
        "registration/register.html",
        form=form,
        series=series,
        sessions=sessions,
        summary=summary,
        window=_window(series),
        privacy_notice=events.render_markdown(series.privacy_notice),
    ), status


# --- the person's registrations ----------------------------------------------------------------


def _own_registration(registration_id: int) -> Registration:
    """The logged-in person's registration with its places and sessions; others get 404."""
    return services.own_registration(
        registration_id,
        current_user,
        options=[
            selectinload(Registration.places).selectinload(Place.session),
            selectinload(Registration.series),
        ],
    )


@bp.route("/registrations")
@login_required
def my_registrations():
    registrations = next_steps.by_next_session(services.user_registrations(current_user))
    return render_template(
        "registration/list.html",
        registrations=registrations,
        positions=capacity.waitlist_positions([p for r in registrations for p in r.places]),
    )


@bp.route("/registrations/claim", methods=["GET", "POST"])
@login_required
@claim_limit
def claim():
    """Take over what an organiser registered for you by phone, with the code they gave."""
    form = ClaimForm()
    status = 200
    if form.validate_on_submit():
        try:
            taken = claims.claim(current_user, form.code.data)
        except KakawariError as exc:
            apply_errors(form, exc.fields or {"code": [exc.message]})
            status = 422
        else:
            titles = "、".join(r.series.title for r in taken)
            if titles:
                flash(_("These registrations are now in your account: %(s)s", s=titles), "success")
            else:
                flash(_("The record made for you is now part of your account."), "success")
            return redirect(url_for(".my_registrations"))
    elif form.is_submitted():
        status = 422
    return render_template("registration/claim.html", form=form), status


@bp.route("/registrations/invitations/<token>", methods=["GET", "POST"])
@login_required
def invitation(token: str):
    """The link mailed to someone an organiser added with an email: one click takes the
    registration into this account (not logged in: log in or sign up, and come back here)."""
    form = ActionForm()
    try:
        record = invitations.invited_record(token)
    except KakawariError as exc:
        return render_template("registration/invitation.html", error=exc.message), exc.status
    if form.validate_on_submit():
        try:
            taken = invitations.confirm(current_user, token)
        except KakawariError as exc:
            flash(str(exc.message), "error")
            return redirect(url_for(".my_registrations"))
        titles = "、".join(r.series.title for r in taken)
        flash(_("These registrations are now in your account: %(s)s", s=titles), "success")
        return redirect(url_for(".my_registrations"))
    return render_template(
        "registration/invitation.html",
        form=form,
        registrations=invitations.invited_registrations(record),
    )


@bp.route("/registrations/<int:registration_id>/confirmation")
@login_required
def confirmation(registration_id: int):
    registration = _own_registration(registration_id)
    return render_template(
        "registration/confirmation.html",
        registration=registration,
        series=registration.series,
        positions=capacity.waitlist_positions(registration.places),
    )


@bp.route("/registrations/<int:registration_id>")
@login_required
def registration_detail(registration_id: int):
    registration = _own_registration(registration_id)
    series = registration.series
    summary = capacity.summary(series.sessions)
    add_forms = _add_forms(registration, summary, _window(series))
    return render_template(
        "registration/detail.html",
        registration=registration,
        series=series,
        positions=capacity.waitlist_positions(registration.places),
        summary=summary,
        add_forms=add_forms,
        unbooked=[
            s for s in series.sessions if s.id in add_forms and not registration.place_for(s.id)
        ],
        now=utcnow(),
        mode_form=ModeForm(),
        action_form=ActionForm(),
    )


def _place_or_notice(registration: Registration, session_id: int) -> Place | None:
    """The place to change; None (with a notice) when it was cancelled already, e.g. a
    second click on the same button."""
    place = registration.place_for(session_id)
    if place is None:
        raise NotFound()
    if place.status is PlaceStatus.cancelled:
        flash(_("Your place for %(session)s is already cancelled.", session=place.session.title))
        return None
    return place


@bp.route("/registrations/<int:registration_id>/sessions/<int:session_id>/mode", methods=["POST"])
@login_required
def switch_mode(registration_id: int, session_id: int):
    registration = _own_registration(registration_id)
    form = ModeForm()
    place = _place_or_notice(registration, session_id)
    if place is not None:
        title = place.session.title
        try:
            services.switch_mode(registration, session_id, form.mode.data)
        except KakawariError as exc:
            flash(_("%(session)s: %(reason)s", session=title, reason=exc.message), "error")
        else:
            flash(_switched_message(db.session.get(Place, place.id)), "success")
    return redirect(url_for(".registration_detail", registration_id=registration_id))


def _switched_message(place: Place) -> str:
    title = place.session.title
    if place.status is PlaceStatus.confirmed:
        if place.mode is Mode.online:
            return _("%(session)s: you now take part online.", session=title)
        return _("%(session)s: you now take part at the venue.", session=title)
    if place.mode is Mode.online:
        return _("%(session)s: you now wait for a place online.", session=title)
    return _("%(session)s: you now wait for a place at the venue.", session=title)


@bp.route("/registrations/<int:registration_id>/sessions/<int:session_id>/book", methods=["POST"])
@login_required
def add_session(registration_id: int, session_id: int):
    """「この回に申し込む」: one more session in the registration, or a cancelled one again."""
    registration = _own_registration(registration_id)
    session = next((s for s in registration.series.sessions if s.id == session_id), None)
    if session is None:
        raise NotFound()
    form = AddSessionForm(prefix=f"add-{session_id}")
    if form.validate_on_submit():
        try:
            outcome = services.add_sessions(registration, {session_id: form.mode.data})
        except KakawariError as exc:
            reason = " ".join(str(m) for ms in exc.fields.values() for m in ms) or exc.message
            flash(_("%(session)s: %(reason)s", session=session.title, reason=reason), "error")
        else:
            place = outcome.registration.place_for(session_id)
            if place is not None:
                flash(_booked_message(place, capacity.waitlist_positions([place])), "success")
    url = url_for(".registration_detail", registration_id=registration_id)
    return redirect(f"{url}#place-{session_id}")


def _booked_message(place: Place, positions: dict) -> str:
    title = place.session.title
    if place.status is PlaceStatus.confirmed:
        return _("%(session)s: booked, your place is confirmed.", session=title)
    if place.status is PlaceStatus.applied:
        return _("%(session)s: booked, the lottery decides.", session=title)
    return _(
        "%(session)s: booked, you are number %(n)d on the waitlist.",
        session=title,
        n=positions.get(place.id, 0),
    )


@bp.route("/registrations/<int:registration_id>/sessions/<int:session_id>/cancel", methods=["POST"])
@login_required
def cancel_session(registration_id: int, session_id: int):
    registration = _own_registration(registration_id)
    place = _place_or_notice(registration, session_id)
    if place is not None:
        title = place.session.title
        try:
            services.cancel(registration, session_id=session_id)
        except KakawariError as exc:
            flash(_("%(session)s: %(reason)s", session=title, reason=exc.message), "error")
        else:
            flash(_("Your place for %(session)s is cancelled.", session=title), "success")
    return redirect(url_for(".registration_detail", registration_id=registration_id))


@bp.route("/registrations/<int:registration_id>/cancel", methods=["POST"])
@login_required
def cancel_registration(registration_id: int):
    registration = _own_registration(registration_id)
    title = registration.series.title
    now = utcnow()
    if not any(
        p.status is not PlaceStatus.cancelled and p.session.starts_at > now
        for p in registration.places
    ):
        flash(_("Nothing left to cancel in %(series)s.", series=title))
    else:
        services.cancel(registration, now=now)
        flash(_("Your registration for %(series)s is cancelled.", series=title), "success")
    return redirect(url_for(".registration_detail", registration_id=registration_id))


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
    calendar.reset_feed(current_user)
    flash(_("Your calendar has a new address. The old one no longer works."), "success")
    return redirect(url_for(".calendar_settings"))
