"""マイページ: what comes next for one person. Their upcoming sessions in date order, each with
its next step (app/registration/next_steps.py); the sessions that are over and the finished
series folded away with their progress and 修了証; their organisations.

Loaded in a fixed number of queries however many registrations the person has.
"""

from dataclasses import dataclass
from datetime import datetime

from app.accounts.models import User
from app.archive.models import Archive
from app.archive.services import available_for
from app.attendance.history import SeriesEntry, history
from app.core.types import utcnow
from app.orgs.models import Membership
from app.orgs.services import user_memberships
from app.registration.capacity import waitlist_positions
from app.registration.models import Place
from app.registration.next_steps import is_upcoming
from app.registration.services import user_registrations


@dataclass(frozen=True)
class Home:
    #: places still to come (or under way), soonest first
    upcoming: list[Place]
    #: waitlist positions of the upcoming places
    positions: dict[int, int]
    #: every series the person took part in, with its progress (latest first)
    series: list[SeriesEntry]
    memberships: list[Membership]
    now: datetime
    #: archives the person may watch now (アーカイブ配信), newest session first
    archives: list[Archive] = ()

    @property
    def completed(self) -> list[SeriesEntry]:
        return [e for e in self.series if e.progress.completed]

    @property
    def past(self) -> list[SeriesEntry]:
        """The series with sessions that are over (what folds away)."""
        return [e for e in self.series if self.past_sessions(e)]

    def past_sessions(self, entry: SeriesEntry) -> list:
        return [s for s in entry.sessions if s.session.ends_at <= self.now]

    def is_finished(self, entry: SeriesEntry) -> bool:
        return all(s.session.ends_at <= self.now for s in entry.sessions)


def home(user: User, now: datetime | None = None) -> Home:
    now = now or utcnow()
    # The history first: bringing attendance up to date may commit, which expires what was
    # loaded before it.
    series = history(user, now=now)
    upcoming = sorted(
        (p for r in user_registrations(user) for p in r.places if is_upcoming(p, now)),
        key=lambda p: (p.session.starts_at, p.session_id),
    )
    return Home(
        upcoming=upcoming,
        positions=waitlist_positions(upcoming),
        series=series,
        memberships=user_memberships(user),
        now=now,
        archives=available_for(user.id, now),
    )
