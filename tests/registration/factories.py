"""Series and sessions for tests, through the real services."""

from datetime import timedelta

from app.core.types import utcnow
from app.events import services as events
from app.events.models import Series
from app.extensions import db
from app.orgs.models import Organization


def make_series(org_id: int, *, sessions=(("hybrid", 2, 5),), published=True, **fields) -> Series:
    """sessions: (format, venue_capacity, online_capacity) per session, a week apart."""
    org = db.session.get(Organization, org_id)
    now = utcnow()
    series = events.create_series(
        org,
        None,
        {
            "title": fields.pop("title", "しまね関係人口ゼミ 2026"),
            "registration_opens_at": fields.pop("registration_opens_at", now - timedelta(days=1)),
            "registration_closes_at": fields.pop("registration_closes_at", now + timedelta(days=6)),
            "published": published,
            **fields,
        },
    )
    db.session.commit()
    for i, (fmt, venue, online) in enumerate(sessions, start=1):
        start = now + timedelta(days=7 * i)
        events.add_session(
            series,
            None,
            {
                "title": f"第{i}回",
                "starts_at": start,
                "ends_at": start + timedelta(hours=2),
                "format": fmt,
                "venue_name": "松江市市民活動センター" if fmt != "online" else "",
                "venue_address": "島根県松江市白潟本町43" if fmt != "online" else "",
                "venue_capacity": venue,
                "online_capacity": online,
                "stream_url": "https://www.youtube.com/watch?v=demo" if fmt != "venue" else "",
            },
        )
        db.session.commit()
    return series


TOKYO = {"name": "東京会場", "address": "東京都千代田区有楽町2-10-1", "map_url": ""}
MATSUE = {"name": "松江会場", "address": "島根県松江市白潟本町43", "map_url": ""}


def make_two_venue_series(
    org_id: int, *, tokyo=2, matsue=2, online=2, fmt="hybrid", **fields
) -> Series:
    """One session held in 東京会場 and 松江会場 at once (サテライト会場), plus online."""
    series = make_series(org_id, sessions=[(fmt, tokyo, online)], **fields)
    session = series.sessions[0]
    events.update_session(
        session,
        None,
        {
            "venues": [
                {**TOKYO, "id": session.venues[0].id, "capacity": tokyo},
                {**MATSUE, "capacity": matsue},
            ]
        },
    )
    db.session.commit()
    return series
