"""Figures per venue (サテライト会場): for a session held at several venues, each venue's
confirmed places and attendance, and online's, e.g. 東京会場 18 / 松江会場 12 / オンライン 40.

Read from places and attendance records with two GROUP BY queries for any number of sessions
(no query per session or per venue). Someone counts as attending where they were checked in
(their standing check-in's venue: a ticket let in at another venue counts there), else at the
venue of their place (an organiser's correction); online attendance counts as online."""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select

from app.attendance.models import Attendance, AttendanceStatus
from app.checkin.models import CheckIn
from app.events.models import Mode, Session
from app.extensions import db
from app.registration.models import Place, PlaceStatus

ONLINE = _l("Online")


@dataclass(frozen=True)
class VenueFigure:
    #: the venue (None: online)
    venue_id: int | None
    name: str
    #: confirmed places there now
    places: int
    #: people who attended there
    attended: int


def several_venues(session: Session) -> bool:
    """Figures are split per venue only where a session has more than one venue."""
    return Mode.venue in session.modes and len(session.venues) > 1


def venue_figures(sessions) -> dict[int, list[VenueFigure]]:
    """session id -> its venues' figures in the venues' order, then online's (for a hybrid
    session), for the sessions held at several venues; the others are left out."""
    split = [s for s in sessions if several_venues(s)]
    if not split:
        return {}
    ids = [s.id for s in split]
    # a venue place (or check-in) without a venue is at the session's first venue
    first = {s.id: s.venues[0].id for s in split}
    places: dict[tuple[int, int | None], int] = {}
    for session_id, mode, venue_id, n in db.session.execute(
        select(Place.session_id, Place.mode, Place.venue_id, func.count())
        .where(Place.session_id.in_(ids), Place.status == PlaceStatus.confirmed)
        .group_by(Place.session_id, Place.mode, Place.venue_id)
    ):
        key = (session_id, (venue_id or first[session_id]) if mode is Mode.venue else None)
        places[key] = places.get(key, 0) + n
    standing = (
        select(CheckIn.session_id, CheckIn.registration_id, CheckIn.venue_id)
        .where(CheckIn.session_id.in_(ids), CheckIn.standing)
        .subquery()
    )
    attended: dict[tuple[int, int | None], int] = {}
    for session_id, status, venue_id, n in db.session.execute(
        select(
            Attendance.session_id,
            Attendance.status,
            func.coalesce(standing.c.venue_id, Place.venue_id),
            func.count(),
        )
        .outerjoin(
            standing,
            and_(
                standing.c.session_id == Attendance.session_id,
                standing.c.registration_id == Attendance.registration_id,
            ),
        )
        .outerjoin(
            Place,
            and_(
                Place.session_id == Attendance.session_id,
                Place.registration_id == Attendance.registration_id,
            ),
        )
        .where(
            Attendance.session_id.in_(ids),
            Attendance.status.in_(
                [AttendanceStatus.attended_venue, AttendanceStatus.attended_online]
            ),
        )
        .group_by(
            Attendance.session_id,
            Attendance.status,
            func.coalesce(standing.c.venue_id, Place.venue_id),
        )
    ):
        venue_id = venue_id or first[session_id]
        key = (session_id, venue_id if status is AttendanceStatus.attended_venue else None)
        attended[key] = attended.get(key, 0) + n
    figures = {}
    for session in split:
        lines = [
            VenueFigure(
                v.id, v.name, places.get((session.id, v.id), 0), attended.get((session.id, v.id), 0)
            )
            for v in session.venues
        ]
        if Mode.online in session.modes:
            key = (session.id, None)
            lines.append(VenueFigure(None, str(ONLINE), places.get(key, 0), attended.get(key, 0)))
        figures[session.id] = lines
    return figures


def attended_line(lines: list[VenueFigure]) -> str:
    """東京会場 18 / 松江会場 12 / オンライン 40: who attended where, in one line."""
    return " / ".join(f"{line.name} {line.attended}" for line in lines)


def places_line(lines: list[VenueFigure]) -> str:
    """The same for the places confirmed (before a session, or as registered)."""
    return " / ".join(f"{line.name} {line.places}" for line in lines)
