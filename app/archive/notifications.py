"""The one mail of an archive: to the people who may watch it, when it is first published.
Queued in the publishing transaction (app/mail/queue.py), so it goes out after the commit,
and only if the commit happens."""

import logging

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.archive.models import Archive
from app.core.timefmt import format_datetime
from app.core.urls import external_url
from app.events.models import Mode
from app.extensions import db
from app.mail import send_mail
from app.registration.models import Place, PlaceStatus, Registration

log = logging.getLogger("kakawari.archive")


def viewers(archive: Archive):
    """The users who may watch the archive (the rule of services.may_watch), one query."""
    modes = [Mode.online, Mode.venue] if archive.venue_allowed else [Mode.online]
    places = db.session.scalars(
        select(Place)
        .join(Registration, Registration.id == Place.registration_id)
        .where(
            Place.session_id == archive.session_id,
            Place.status == PlaceStatus.confirmed,
            Place.mode.in_(modes),
        )
        .options(joinedload(Place.registration).joinedload(Registration.user))
        .order_by(Place.id)
    ).all()
    seen = {}
    for place in places:
        seen.setdefault(place.registration.user_id, place.registration.user)
    return list(seen.values())


def tell_viewers(archive: Archive) -> int:
    """Queue the mail for each person who may watch; how many were queued."""
    session = archive.session
    series = session.series
    url = external_url("archive.watch", session_id=session.id)
    sent = 0
    for user in viewers(archive):
        if not user.is_active:
            continue
        with force_locale(user.locale):
            subject = _("Archive available: %(title)s", title=f"{series.title} {session.title}")
            body = "\n".join(
                [
                    _("Dear %(name)s,", name=user.name),
                    "",
                    _(
                        "The recording of %(session)s (%(series)s) can be watched until %(until)s.",
                        session=session.title,
                        series=series.title,
                        until=format_datetime(archive.available_until, user.locale),
                    ),
                    "",
                    _("Watch it here: %(url)s", url=url),
                    "",
                    "— " + series.org.name + " / Kakawari",
                ]
            )
        if send_mail(user.email, subject, body):
            sent += 1
    log.info("Archive of session %s: %d mails queued", session.id, sent)
    return sent
