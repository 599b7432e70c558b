"""What a person does next for one place: enter the live room (an online place, from the room's
opening time), show the QR ticket at the reception (a venue place), wait for a place, or nothing
more. The one rule behind the buttons of マイページ, the registration pages, the session page, the
ticket page and the links in every mail; the room and the ticket pages still decide who enters.
"""

import enum
import math
from dataclasses import dataclass
from datetime import datetime

from app.core.types import utcnow
from app.core.urls import external_url
from app.events.models import Mode
from app.events.services import room_window
from app.registration.models import Place, PlaceStatus, Registration


class Next(enum.StrEnum):
    room = "room"  # a confirmed online place: 「視聴ページに入る」 (active from the opening time)
    ticket = "ticket"  # a confirmed venue place: 「受付用QRコードを表示」
    waitlisted = "waitlisted"  # キャンセル待ち: a position, nothing to show at a door
    applied = "applied"  # lottery not drawn yet
    over = "over"  # the session (and its room) is over
    cancelled = "cancelled"  # the place or the session is cancelled


@dataclass(frozen=True)
class NextStep:
    kind: Next
    place: Place
    #: the live room's window (online places only)
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    #: whether the room is open now (the button is active); if not, in how many seconds
    room_open: bool = False
    opens_in: int = 0
    #: the waitlist position (waitlisted places only)
    position: int | None = None
    #: whether the mode may still be switched or the place cancelled (before the start)
    can_change: bool = False


def next_step(place: Place, positions: dict | None = None, now: datetime | None = None) -> NextStep:
    """The next step for `place` (its session and series loaded); `positions` as
    capacity.waitlist_positions gives them."""
    now = now or utcnow()
    session = place.session
    if place.status is PlaceStatus.cancelled or session.is_cancelled:
        return NextStep(Next.cancelled, place)
    if place.mode is Mode.online:
        opens_at, closes_at = room_window(session)
        if now > closes_at:
            return NextStep(Next.over, place)
        extra = {"opens_at": opens_at, "closes_at": closes_at}
    else:
        if now > session.ends_at:
            return NextStep(Next.over, place)
        extra = {}
    extra["can_change"] = session.starts_at > now
    if place.status is PlaceStatus.waitlisted:
        return NextStep(Next.waitlisted, place, position=(positions or {}).get(place.id), **extra)
    if place.status is PlaceStatus.applied:
        return NextStep(Next.applied, place, **extra)
    if place.mode is Mode.online:
        wait = max(0, math.ceil((opens_at - now).total_seconds()))  # never early
        return NextStep(Next.room, place, room_open=wait == 0, opens_in=wait, **extra)
    return NextStep(Next.ticket, place, **extra)


def is_upcoming(place: Place, now: datetime | None = None) -> bool:
    """A place still to come (or under way): what マイページ lists first."""
    return next_step(place, now=now).kind not in (Next.over, Next.cancelled)


def needs_ticket(registration: Registration) -> bool:
    """A QR ticket is for the venue's reception: only a registration with a confirmed place at
    a venue has one to show or to attach. An all-online registration enters by the live room."""
    return any(
        p.mode is Mode.venue and p.status is PlaceStatus.confirmed and not p.session.is_cancelled
        for p in registration.places
    )


def mail_link(place: Place) -> tuple[str, str]:
    """Where a mail about this place leads, as (what, url): straight to the live room
    ("room", a confirmed online place) or the ticket ("ticket", a confirmed venue place);
    otherwise the session's page ("session")."""
    if place.status is PlaceStatus.confirmed and not place.session.is_cancelled:
        if place.mode is Mode.online:
            return "room", external_url("live.room", session_id=place.session_id)
        return "ticket", external_url("tickets.ticket", registration_id=place.registration_id)
    return "session", external_url("registration.session_page", session_id=place.session_id)


def by_next_session(registrations, now: datetime | None = None) -> list[Registration]:
    """申込一覧's order: the registration whose next session comes soonest first; those with
    nothing left to come after them, the most recently finished first."""
    now = now or utcnow()

    def key(registration: Registration):
        upcoming = [p.session.starts_at for p in registration.places if is_upcoming(p, now)]
        if upcoming:
            return (0, min(upcoming).timestamp())
        latest = max((p.session.starts_at for p in registration.places), default=None)
        return (1, -latest.timestamp() if latest else 0)

    return sorted(registrations, key=key)
