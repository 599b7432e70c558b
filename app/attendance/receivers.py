"""Attendance listens to accounts, check-in and the live room (none of them imports it)."""

from app.accounts.signals import Erased, account_erasing
from app.attendance.certificates import forget_holder
from app.attendance.services import update_people
from app.checkin.signals import checked_in, checkin_undone
from app.live.signals import presence_closed


@checked_in.connect
@checkin_undone.connect
def _checkin_counts(session, checkin):
    update_people(session.id, [checkin.registration.user_id])


@presence_closed.connect
def _time_in_the_room_counts(session_id, user_ids):
    update_people(session_id, user_ids)


@account_erasing.connect
def _certificates_lose_the_name(sender, user, now):
    """Attendance stays (anonymous statistics); a certificate's page says its holder left."""
    return Erased(counts={"certificate_names_removed": forget_holder(user)})
