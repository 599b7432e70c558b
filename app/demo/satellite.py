"""The demo's hybrid series held in Tokyo and Matsue at once (サテライト会場), plus online:
「しまね関係人口講座 2026 秋 東京・松江同時開催」. Its first session is over, with people
checked in at both venues (one with a Matsue ticket let in at Tokyo, as staff do with
「この会場で受付」), others in the live room, and attendance computed from that; its second is
ahead with places left at both venues. Made once (by title), on its own so that other demo
additions merge apart from it."""

import random
import uuid
from datetime import timedelta

from sqlalchemy import select

from app.accounts.models import User
from app.attendance import services as attendance
from app.checkin.models import CheckIn
from app.checkin.services import issue_ticket, log_venue_override
from app.core.types import utcnow
from app.events import services as events
from app.events.models import Series, SessionVenue
from app.extensions import db
from app.live.models import Connection
from app.orgs.models import Organization
from app.registration import services as registration
from app.registration.models import Place, PlaceStatus

SATELLITE = "しまね関係人口講座 2026 秋 東京・松江同時開催"
DESCRIPTION = """\
東京と松江の2会場を中継でつなぎ、同時に開く連続講座です。オンラインでも参加できます。
毎回、**東京会場**・**松江会場**・**オンライン**から選べます。回ごとに変えても構いません。
"""
TOKYO = {
    "name": "東京会場",
    "address": "東京都千代田区有楽町2-10-1 東京交通会館 12階",
    "map_url": "https://www.openstreetmap.org/?mlat=35.6750&mlon=139.7633#map=18/35.6750/139.7633",
    "capacity": 30,
}
MATSUE = {
    "name": "松江会場",
    "address": "島根県松江市白潟本町43 松江市市民活動センター",
    "map_url": "https://www.openstreetmap.org/?mlat=35.4655&mlon=133.0555#map=18/35.4655/133.0555",
    "capacity": 30,
}
#: who chose what for the first session (of the demo people p041 …): Tokyo, Matsue, online
CHOICES = (("tokyo", 24), ("matsue", 16), ("online", 40))


def _session(series: Series, title: str, start) -> object:
    session = events.add_session(
        series,
        None,
        {
            "title": title,
            "starts_at": start,
            "ends_at": start + timedelta(hours=2),
            "format": "hybrid",
            "venue_name": MATSUE["name"],
            "venue_address": MATSUE["address"],
            "map_url": MATSUE["map_url"],
            "venue_capacity": MATSUE["capacity"],
            "online_capacity": 100,
            "stream_url": "https://www.youtube.com/watch?v=kakawari-demo",
        },
    )
    db.session.flush()
    tokyo = SessionVenue(session_id=session.id, position=0, **TOKYO)
    session.venues[0].position = 1  # Tokyo first: most people come from there
    db.session.add(tokyo)
    db.session.flush()
    db.session.refresh(session)
    return session


def _create(org: Organization, now) -> Series:
    first = (now - timedelta(days=21)).replace(hour=10, minute=0, second=0, microsecond=0)
    series = events.create_series(
        org,
        None,
        {
            "title": SATELLITE,
            "theme": "community",
            "description": DESCRIPTION,
            "prefecture": "32",
            "municipality": "松江市",
            "registration_opens_at": first - timedelta(days=30),
            "registration_closes_at": first + timedelta(days=40),
            "completion_min_sessions": 2,
            "online_threshold_percent": 60,
            "published": True,
        },
    )
    _session(series, "第1回 島根とつながる入口", first)
    _session(series, "第2回 地域の人と語る", first + timedelta(days=42))
    db.session.flush()
    return series


def _place(registration_id: int, session_id: int) -> Place:
    return db.session.scalar(
        select(Place).where(
            Place.registration_id == registration_id, Place.session_id == session_id
        )
    )


def _checked_in(session, place: Place, venue, staff: User, device: str, minutes: int, **extra):
    checkin = CheckIn(
        session_id=session.id,
        registration_id=place.registration_id,
        ticket_id=issue_ticket(place.registration).id,
        staff_id=staff.id,
        checked_in_at=session.starts_at - timedelta(minutes=minutes),
        received_at=session.starts_at - timedelta(minutes=1),
        nonce=uuid.uuid4().hex,
        device_id=device,
        source="scan",
        venue_id=venue.id,
        **extra,
    )
    db.session.add(checkin)
    return checkin


def seed_satellite(org: Organization) -> Series:
    """The two-venue series, once (by title)."""
    existing = db.session.scalar(
        select(Series).where(Series.org_id == org.id, Series.title == SATELLITE)
    )
    if existing is not None:
        return existing
    now = utcnow()
    rng = random.Random(1015)
    series = _create(org, now)
    db.session.commit()
    held, ahead = series.sessions
    venues = {"tokyo": held.venues[0], "matsue": held.venues[1]}
    later = {"tokyo": ahead.venues[0], "matsue": ahead.venues[1]}
    people = db.session.scalars(
        select(User).where(User.email.like("p%@example.jp")).order_by(User.email)
    ).all()[40:]
    staff = db.session.scalar(select(User).where(User.email == "staff@example.jp"))
    signed_up = series.registration_opens_at + timedelta(days=2)
    chosen = [where for where, n in CHOICES for _ in range(n)]
    rng.shuffle(chosen)
    came = []
    for i, (person, where) in enumerate(zip(people, chosen, strict=False)):
        mode = "online" if where == "online" else "venue"
        # the second session: most keep their choice; it still has places left at each venue
        again = where if rng.random() < 0.8 else rng.choice(["tokyo", "matsue", "online"])
        modes = {held.id: mode, ahead.id: "online" if again == "online" else "venue"}
        chosen_venues = {
            session.id: at[choice].id
            for session, at, choice in ((held, venues, where), (ahead, later, again))
            if choice != "online"
        }
        r = registration.register(
            series,
            person,
            modes=modes,
            venues=chosen_venues,
            consent=True,
            now=signed_up + timedelta(minutes=i),
        )
        came.append((r, where))
    db.session.commit()

    # The first session, as the two phones and the live room wrote it.
    let_in_at_tokyo = None
    for r, where in came:
        place = _place(r.id, held.id)
        if place.status is not PlaceStatus.confirmed:
            continue
        if where == "online":
            roll = rng.random()
            if roll < 0.8:
                for n, (a, b) in enumerate([(rng.randint(-5, 5), 65), (63, 118)]):
                    db.session.add(
                        Connection(
                            session_id=held.id,
                            user_id=r.user_id,
                            sid=f"demo-satellite-{held.id}-{r.user_id}-{n}",
                            process="demo",
                            joined_at=held.starts_at + timedelta(minutes=a),
                            last_seen_at=held.starts_at + timedelta(minutes=b),
                            left_at=held.starts_at + timedelta(minutes=b),
                        )
                    )
            continue
        if rng.random() > 0.85:
            continue  # did not come
        if where == "matsue" and let_in_at_tokyo is None:
            # booked Matsue, was in Tokyo that day: staff let her in there, logged
            let_in_at_tokyo = _checked_in(
                held, place, venues["tokyo"], staff, "demo-phone-tokyo", 8, venue_override=True
            )
            db.session.flush()
            log_venue_override(
                let_in_at_tokyo, held, venues["tokyo"], r, place, staff, "出張で東京にいたため"
            )
            continue
        phone = "demo-phone-tokyo" if where == "tokyo" else "demo-phone-matsue"
        _checked_in(held, place, venues[where], staff, phone, rng.randint(1, 25))
    db.session.commit()
    attendance.recompute([held])
    db.session.commit()
    return series
