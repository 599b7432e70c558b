"""Registration rules: who gets a place, who waits, lotteries, switching and cancelling.

Guarantees (tested against a running server on PostgreSQL):
- never more confirmed places than a session's capacity for a mode, whatever runs at once
  (every change happens under capacity.locked());
- one active registration per person per series (and a partial unique index behind it);
- a freed place goes at once to the first person waiting for that session and mode.

The rules live in modules along their seams; this module is the area's one door to them, the
names other areas call (`from app.registration import services`):
- queries: reading a person's registrations, whether registration is open;
- booking: registering, booking more sessions;
- cancelling: cancelling, a deleted account's places, a raised capacity (waitlist promotion);
- switching: venue ↔ online, by the person or by a check-in (arrived_at_venue);
- lottery: the draw;
- places: what they share (a registration's status, promotion, announcing a change).
"""

from app.registration.booking import ANSWER_MAX, add_sessions, clean_answers, register
from app.registration.cancelling import cancel, capacity_changed, release_places_of
from app.registration.lottery import draw_lottery, due_lotteries
from app.registration.places import (
    Outcome,
    announce,
    mode_label,
    promote_from_waitlist,
    refresh_status,
    registration_status,
)
from app.registration.queries import (
    active_registration,
    own_registration,
    registration_window,
    sessions_to_add,
    user_registrations,
)
from app.registration.switching import arrived_at_venue, switch_mode, undo_arrival

__all__ = [
    "ANSWER_MAX",
    "Outcome",
    "active_registration",
    "add_sessions",
    "announce",
    "arrived_at_venue",
    "cancel",
    "capacity_changed",
    "clean_answers",
    "draw_lottery",
    "due_lotteries",
    "mode_label",
    "own_registration",
    "promote_from_waitlist",
    "refresh_status",
    "register",
    "registration_status",
    "registration_window",
    "release_places_of",
    "sessions_to_add",
    "switch_mode",
    "undo_arrival",
    "user_registrations",
]
