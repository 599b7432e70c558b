"""Participant pages for booking: registering for a series, the person's registrations (申込一覧,
a registration's page), and what they change there: booking one more session, venue ↔
online, cancelling a session or everything; taking over a registration an organiser made."""

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from app.core.access import login_required
from app.core.errors import AlreadyRegistered, KakawariError, NotFound, ValidationFailed
from app.core.forms import ActionForm, apply_errors
from app.core.types import utcnow
from app.events import services as events
from app.events.models import Mode
from app.extensions import db, limiter
from app.registration import capacity, claims, invitations, next_steps, services
from app.registration.blueprint import bp
from app.registration.browse_views import booking_forms, window_of
from app.registration.forms import AddSessionForm, ClaimForm, ModeForm, registration_form
from app.registration.models import Place, PlaceStatus, Registration
from app.registration.unit import one_unit_of_work
from app.registration.venues import several_venues, split_choice

#: tries at a claim code per account (codes are random: guessing is cut short)
claim_limit = limiter.limit(
    lambda: current_app.config["CLAIMS_PER_ACCOUNT"],
    key_func=lambda: f"claim:{current_user.id}",
    methods=["POST"],
    scope="claim",
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
            with one_unit_of_work():
                registration = services.register(
                    series,
                    current_user,
                    modes=form.modes(),
                    venues=form.venues(),
                    session_ids=form.session_ids(),
                    answers=form.answers(),
                    consent=bool(form.consent.data),
                    record_consent=bool(form.record_consent.data),
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
        window=window_of(series),
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
            with one_unit_of_work():
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
            with one_unit_of_work():
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
    add_forms = booking_forms(registration, summary, window_of(series))
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
            with one_unit_of_work():
                mode, venue_id = split_choice(form.mode.data)
                services.switch_mode(registration, session_id, mode, venue_id=venue_id)
        except KakawariError as exc:
            flash(_("%(session)s: %(reason)s", session=title, reason=exc.message), "error")
        else:
            flash(_switched_message(db.session.get(Place, place.id)), "success")
    return redirect(url_for(".registration_detail", registration_id=registration_id))


def _switched_message(place: Place) -> str:
    title = place.session.title
    if place.mode is Mode.venue and several_venues(place.session):
        where = place.venue.name if place.venue else ""
        if place.status is PlaceStatus.confirmed:
            return _("%(session)s: you now take part at %(venue)s.", session=title, venue=where)
        return _("%(session)s: you now wait for a place at %(venue)s.", session=title, venue=where)
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
            with one_unit_of_work():
                outcome = services.add_sessions(
                    registration, form.modes(session_id), venues=form.venues(session_id)
                )
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
            with one_unit_of_work():
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
        with one_unit_of_work():
            services.cancel(registration, now=now)
        flash(_("Your registration for %(series)s is cancelled.", series=title), "success")
    return redirect(url_for(".registration_detail", registration_id=registration_id))
