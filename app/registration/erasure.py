"""What registration removes when a person deletes their account (accounts sends
account_erasing; accounts never imports registration): places in sessions not started yet are
freed for the people waiting, and free-text answers go (a choice answers only the series'
statistics). Registrations and places of sessions held stay, anonymous, for attendance."""

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.accounts.signals import Erased, account_erasing
from app.events.models import QuestionKind, Series
from app.extensions import db
from app.registration import services
from app.registration.models import Registration


def remove_free_text_answers(user: User) -> int:
    """Blank the person's answers to free-text questions in every series; how many went."""
    removed = 0
    registrations = db.session.scalars(
        select(Registration)
        .where(Registration.user_id == user.id)
        .options(selectinload(Registration.series).selectinload(Series.questions))
    )
    for registration in registrations:
        texts = {str(q.id) for q in registration.series.questions if q.kind is QuestionKind.text}
        kept = {k: v for k, v in (registration.answers or {}).items() if k not in texts}
        if len(kept) != len(registration.answers or {}):
            removed += len(registration.answers) - len(kept)
            registration.answers = kept
    db.session.flush()
    return removed


@account_erasing.connect
def _erase_registrations(sender, user: User, now) -> Erased:
    released = services.release_places_of(user, now)

    def announce():  # once the deletion committed: tickets, and mails to who got a place
        for outcome in released:
            services.announce(outcome.registration, "cancelled", outcome.promoted)
        db.session.commit()  # runs what was queued, each its own unit of work

    return Erased(
        counts={
            "registrations_released": len(released),
            "people_promoted": sum(len(o.promoted) for o in released),
            "answers_removed": remove_free_text_answers(user),
        },
        after_commit=announce,
    )
