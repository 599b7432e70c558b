"""Attendance listens to accounts, check-in and the live room (none of them imports it).

Check-ins and the live room announce a change after it committed; what attendance makes of it
is its own unit of work, committed here (the receiver is its edge). A failure is logged and
rolled back, and never reaches the check-in or the socket: the change it heard of stands."""

import logging

from app.accounts.signals import Erased, account_erasing
from app.attendance.certificates import forget_holder
from app.attendance.services import update_people
from app.checkin.signals import checked_in, checkin_undone
from app.extensions import db
from app.live.signals import presence_closed

log = logging.getLogger("kakawari.attendance")


def _recompute(session_id: int, user_ids) -> None:
    try:
        update_people(session_id, user_ids)
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("updating attendance of session %s failed", session_id)


@checked_in.connect
@checkin_undone.connect
def _checkin_counts(session, checkin):
    _recompute(session.id, [checkin.registration.user_id])


@presence_closed.connect
def _time_in_the_room_counts(session_id, user_ids):
    _recompute(session_id, user_ids)


@account_erasing.connect
def _certificates_lose_the_name(sender, user, now):
    """Attendance stays (anonymous statistics); a certificate's page says its holder left."""
    return Erased(counts={"certificate_names_removed": forget_holder(user)})
