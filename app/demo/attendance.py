"""Demo attendance: an earlier series this 年度 that people completed, and the sessions of the
2026 ゼミ that are over, with venue scans and time in the live room as the real parts write
them, then attendance computed from that evidence like any other session."""

import random
import uuid
from datetime import timedelta

from sqlalchemy import select

from app.accounts.models import User
from app.attendance import services as attendance
from app.checkin.models import CheckIn
from app.checkin.services import issue_ticket
from app.events import services as events
from app.events.models import Mode, Series
from app.extensions import db
from app.live.models import Connection
from app.orgs.models import Organization
from app.registration import services as registration
from app.registration.models import Place, PlaceStatus, Registration

EARLIER = "しまね関係人口ゼミ 2026 春"
EARLIER_DESCRIPTION = """\
春に開いた入門編の連続講座です（全4回、会場とオンラインのハイブリッド）。
4回のうち3回以上の参加で修了です。
"""
MATSUE = {
    "venue_name": "松江市市民活動センター（スティックビル）",
    "venue_address": "島根県松江市白潟本町43",
}


def _earlier_series(org: Organization, now) -> Series:
    first = (now - timedelta(days=180)).replace(hour=4, minute=0, second=0, microsecond=0)
    series = events.create_series(
        org,
        None,
        {
            "title": EARLIER,
            "theme": "community",
            "description": EARLIER_DESCRIPTION,
            "prefecture": "32",
            "municipality": "松江市",
            "registration_opens_at": first - timedelta(days=40),
            "registration_closes_at": first - timedelta(days=1),
            "completion_min_sessions": 3,
            "online_threshold_percent": 70,
            "published": True,
        },
    )
    titles = ["第1回 島根を知る", "第2回 関わり方いろいろ", "第3回 現地の声", "第4回 ふりかえり"]
    for i, title in enumerate(titles):
        start = first + timedelta(days=14 * i)
        events.add_session(
            series,
            None,
            {
                "title": title,
                "starts_at": start,
                "ends_at": start + timedelta(hours=2),
                "format": "hybrid",
                **MATSUE,
                "venue_capacity": 40,
                "online_capacity": 200,
                "stream_url": "https://www.youtube.com/watch?v=kakawari-demo",
            },
        )
    return series


def _came(rng: random.Random, session, place: Place, staff: User, reliable: bool) -> None:
    """Write what the scanner or the live room would have written for one person."""
    start, end = session.starts_at, session.ends_at
    if place.mode is Mode.venue:
        if reliable or rng.random() < 0.82:
            db.session.add(
                CheckIn(
                    session_id=session.id,
                    registration_id=place.registration_id,
                    ticket_id=issue_ticket(place.registration).id,
                    staff_id=staff.id,
                    checked_in_at=start - timedelta(minutes=rng.randint(1, 25)),
                    received_at=start - timedelta(minutes=1),
                    nonce=uuid.uuid4().hex,
                    device_id="demo-phone-1",
                    source="scan",
                )
            )
        return
    roll = 0.0 if reliable else rng.random()
    if roll < 0.72:  # stays the whole time, with a reconnect now and then
        spans = [(rng.randint(-5, 6), 70), (68, 120 + rng.randint(0, 10))]
    elif roll < 0.86:  # drops in for part of it
        spans = [(rng.randint(10, 40), rng.randint(50, 75))]
    else:
        return  # did not come
    user_id = place.registration.user_id
    for n, (a, b) in enumerate(spans):
        joined = start + timedelta(minutes=a)
        left = min(start + timedelta(minutes=b), end + timedelta(minutes=15))
        db.session.add(
            Connection(
                session_id=session.id,
                user_id=user_id,
                sid=f"demo-{session.id}-{user_id}-{n}",
                process="demo",
                joined_at=joined,
                last_seen_at=left,
                left_at=left,
            )
        )


def simulate(series: Series, sessions, staff: User, participant: User, rng) -> None:
    """Evidence for every confirmed place of the given (past) sessions, then attendance."""
    for session in sessions:
        places = db.session.scalars(
            select(Place)
            .join(Registration)
            .where(Place.session_id == session.id, Place.status == PlaceStatus.confirmed)
            .order_by(Place.id)
        ).all()
        for place in places:
            _came(rng, session, place, staff, place.registration.user_id == participant.id)
        db.session.commit()
    attendance.recompute(sessions)
    db.session.commit()


def seed_attendance(org: Organization, zemi: Series, people, participant, staff, now) -> Series:
    """The earlier series (participant@example.jp completed it) and the 2026 ゼミ's past
    sessions. Idempotent by the earlier series' title."""
    existing = db.session.scalar(
        select(Series).where(Series.org_id == org.id, Series.title == EARLIER)
    )
    if existing is not None:
        return existing
    rng = random.Random(42)
    earlier = _earlier_series(org, now)
    signed_up = earlier.registration_opens_at + timedelta(days=3)
    hybrid = [s.id for s in earlier.sessions]
    # half of the 2026 ゼミ's people came to the spring course too (returning participants),
    # and some came only in spring
    cohort = [participant, *people[20:60], *people[90:105]]
    for i, person in enumerate(cohort):
        mode = "venue" if person is participant or rng.random() < 0.5 else "online"
        registration.register(
            earlier,
            person,
            modes=dict.fromkeys(hybrid, mode),
            consent=True,
            now=signed_up + timedelta(minutes=i),
        )
    for i, session in enumerate(earlier.sessions):
        if i:  # from the second session on the participant followed online
            place = db.session.scalar(
                select(Place)
                .join(Registration)
                .where(Place.session_id == session.id, Registration.user_id == participant.id)
            )
            place.mode = Mode.online
    db.session.commit()
    simulate(earlier, earlier.sessions, staff, participant, rng)
    past = [s for s in zemi.sessions if s.ends_at < now]
    simulate(zemi, past, staff, participant, rng)
    return earlier
