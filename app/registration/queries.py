"""Reading registrations: a person's own, whether registration is open, what is left to book."""

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.core.errors import NotFound, RegistrationClosed, RegistrationNotOpen
from app.core.types import utcnow
from app.events.models import Selection, Series, SeriesStatus, Session
from app.extensions import db
from app.registration.models import Place, PlaceStatus, Registration, RegistrationStatus


def active_registration(series_id: int, user_id: int) -> Registration | None:
    return db.session.scalar(
        select(Registration).where(
            Registration.series_id == series_id,
            Registration.user_id == user_id,
            Registration.status != RegistrationStatus.cancelled,
        )
    )


def user_registrations(user: User) -> list[Registration]:
    """The person's registrations, newest first, with places, sessions and series loaded."""
    return db.session.scalars(
        select(Registration)
        .where(Registration.user_id == user.id)
        .order_by(Registration.created_at.desc())
        .options(
            selectinload(Registration.places).selectinload(Place.session),
            selectinload(Registration.series),
        )
    ).all()


def own_registration(registration_id: int, user: User, options=()) -> Registration:
    """`user`'s registration; someone else's, like one that does not exist, is NotFound."""
    registration = db.session.get(Registration, registration_id, options=list(options))
    if registration is None or registration.user_id != user.id:
        raise NotFound()
    return registration


def registration_window(series: Series, now=None) -> None:
    """Raises unless registration is open now."""
    now = now or utcnow()
    if series.status is not SeriesStatus.published:
        raise NotFound()
    if series.registration_opens_at and now < series.registration_opens_at:
        raise RegistrationNotOpen()
    if series.registration_closes_at and now >= series.registration_closes_at:
        raise RegistrationClosed()
    if series.selection is Selection.lottery and series.lottery_drawn_at:
        raise RegistrationClosed()


def sessions_to_add(registration: Registration, now=None) -> list[Session]:
    """Sessions of the series the person can still book: not started, not cancelled, and not
    held by this registration (never booked, also ones added later, or cancelled)."""
    now = now or utcnow()
    return [
        s
        for s in registration.series.sessions
        if not s.is_cancelled
        and s.starts_at > now
        and getattr(registration.place_for(s.id), "status", None) in (None, PlaceStatus.cancelled)
    ]
