"""Lottery series: the draw (a seeded, recorded, uniformly random order takes the places) and
the series whose draw is due."""

import random
import secrets

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.audit.services import record
from app.core.errors import PermissionDenied, RegistrationClosed
from app.core.types import utcnow
from app.events.models import Selection, Series, SeriesStatus
from app.extensions import db
from app.registration import capacity
from app.registration.models import Place, PlaceStatus, Registration, RegistrationStatus
from app.registration.places import announce, refresh_status
from app.registration.unit import joins_unit_of_work


@joins_unit_of_work
def draw_lottery(series: Series, *, seed: str | None = None, actor=None, now=None) -> dict:
    """Draw a lottery series: registrations in a uniformly random order (seeded, the seed is
    recorded) take places in that order; the rest wait in that order. Everyone is told."""
    now = now or utcnow()
    if series.selection is not Selection.lottery:
        raise PermissionDenied(_l("This series is first come, first served."))
    if series.lottery_drawn_at is not None:
        raise RegistrationClosed(_l("The lottery has already been drawn."))
    seed = seed or secrets.token_hex(16)
    series_id = series.id
    session_ids = [s.id for s in series.sessions]
    with capacity.locked(session_ids):
        series = db.session.get(Series, series_id)
        registrations = db.session.scalars(
            select(Registration)
            .where(
                Registration.series_id == series_id,
                Registration.status == RegistrationStatus.applied,
            )
            .order_by(Registration.id)
            .options(selectinload(Registration.places).selectinload(Place.session))
        ).all()
        order = list(registrations)
        random.Random(seed).shuffle(order)  # noqa: S311 -- fairness, not secrecy; seed recorded
        counts = capacity.confirmed_counts(session_ids)
        for rank, registration in enumerate(order, start=1):
            for place in registration.places:
                if place.status is not PlaceStatus.applied:
                    continue
                mode, venue_id = capacity.queue_of(place)
                key = (place.session_id, mode, venue_id)
                if capacity.has_room(place.session, mode, counts.get(key, 0), venue_id):
                    place.status = PlaceStatus.confirmed
                    place.confirmed_at = now
                    counts[key] = counts.get(key, 0) + 1
                else:
                    place.status = PlaceStatus.waitlisted
                place.queue_key = rank  # anyone added later comes after (next_queue_key)
            refresh_status(registration)
        series.lottery_drawn_at = now
        series.lottery_seed = seed
        record(
            "series.lottery_drawn",
            actor=actor,
            org=series.org,
            series_id=series_id,
            seed=seed,
            entries=len(order),
        )
    for registration in order:
        announce(registration, "lottery")
    won = sum(1 for r in order if r.status is RegistrationStatus.confirmed)
    return {"entries": len(order), "won": won, "seed": seed}


def due_lotteries(now=None) -> list[Series]:
    now = now or utcnow()
    return db.session.scalars(
        select(Series).where(
            Series.selection == Selection.lottery,
            Series.status == SeriesStatus.published,
            Series.lottery_drawn_at.is_(None),
            Series.registration_closes_at.is_not(None),
            Series.registration_closes_at <= now,
        )
    ).all()
