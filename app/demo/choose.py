"""The demo's per-session series (参加する回を選んで申込): 「えらべる しまね暮らし講座」, where
people book the sessions they come to. participant@example.jp is registered for 第1回 only, so the
registration page and the series page offer the others (「この回に申し込む」); 第3回 is full, so
booking it puts them on the waitlist.

Made once (by title), dates relative to the day the demo is first loaded.
"""

from datetime import timedelta

from sqlalchemy import select

from app.accounts.models import User
from app.core.types import utcnow
from app.events import services as events
from app.events.models import Series
from app.extensions import db
from app.orgs.models import Organization
from app.registration import services as registration

CHOOSE = "えらべる しまね暮らし講座"
DESCRIPTION = """\
島根での暮らしを、興味のある回だけ選んで体験する講座です。**参加する回を選んで申し込めます**。
申し込んだあとも、ほかの回を追加したり、キャンセルした回にもう一度申し込んだりできます。
"""
MATSUE = {"venue_name": "松江市市民活動センター", "venue_address": "島根県松江市白潟本町43"}
#: (title, days from now, format, venue seats, online places)
SESSIONS = [
    ("第1回 島根の暮らしを知る", 12, "online", None, 100),
    ("第2回 松江で働く人に会う", 19, "hybrid", 15, 60),
    ("第3回 農家民泊の準備会", 26, "venue", 2, None),
]


def seed_choose(org: Organization) -> Series:
    """Create the series once, with participant@example.jp registered for 第1回 only."""
    series = db.session.scalar(
        select(Series).where(Series.org_id == org.id, Series.title == CHOOSE)
    )
    if series is not None:
        return series
    now = utcnow()
    series = events.create_series(
        org,
        None,
        {
            "title": CHOOSE,
            "theme": "migration",
            "description": DESCRIPTION,
            "prefecture": "32",
            "municipality": "松江市",
            "scope": "session",
            "registration_opens_at": now - timedelta(days=7),
            "registration_closes_at": now + timedelta(days=25),
            "published": True,
        },
    )
    for title, days, fmt, venue, online in SESSIONS:
        start = (now + timedelta(days=days)).replace(hour=4, minute=0, second=0, microsecond=0)
        events.add_session(
            series,
            None,
            {
                "title": title,
                "starts_at": start,
                "ends_at": start + timedelta(hours=2),
                "format": fmt,
                **(MATSUE if fmt != "online" else {}),
                "venue_capacity": venue,
                "online_capacity": online,
            },
        )
    first, _second, third = series.sessions
    participant = db.session.scalar(select(User).where(User.email == "participant@example.jp"))
    registration.register(series, participant, session_ids=[first.id], consent=True)
    people = db.session.scalars(
        select(User).where(User.email.like("p1__@example.jp")).order_by(User.email).limit(4)
    ).all()
    for person in people:  # 第3回 fills up: two places, then the waitlist
        registration.register(series, person, session_ids=[third.id], consent=True)
    return series
