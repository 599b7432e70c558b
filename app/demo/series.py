"""Demo series: 「しまね関係人口ゼミ 2026」 and 「ふるさとみつけ塾 in 丸森」, with registrations in
every state. Dates are relative to the day the demo is first loaded."""

import random
from datetime import timedelta

from sqlalchemy import select

from app.accounts.models import User
from app.core.types import utcnow
from app.demo.archive import seed_archive
from app.demo.attendance import seed_attendance
from app.events import services as events
from app.events.models import Series, Session
from app.extensions import db
from app.orgs.models import Organization
from app.registration import manage_services as manage
from app.registration import services as registration

ZEMI = "しまね関係人口ゼミ 2026"
MARUMORI = "ふるさとみつけ塾 in 丸森"

ZEMI_DESCRIPTION = """\
島根に関わりたい都市部の人のための連続講座です。**会場（松江市）とオンラインのハイブリッド**で、
地域で活躍する実践者の話を聞き、自分なりの関わり方を考えます。

- 第1回・第5回は松江市の会場とオンラインで同時開催
- 第2〜4回はオンライン
- 5回のうち4回以上の参加で修了証を発行します
"""
MARUMORI_DESCRIPTION = """\
宮城県丸森町で「ふるさと」を見つける一日のワークショップ。会場参加は**抽選**です（オンライン参加も抽選）。
"""
PRIVACY = "お預かりした個人情報は本講座の運営と、個人が特定されない形での事業報告にのみ使用します。"
MATSUE = {
    "venue_name": "松江市市民活動センター（スティックビル）",
    "venue_address": "島根県松江市白潟本町43",
    "map_url": "https://www.openstreetmap.org/search?query=%E6%9D%BE%E6%B1%9F%E5%B8%82%E5%B8%82%E6%B0%91%E6%B4%BB%E5%8B%95%E3%82%BB%E3%83%B3%E3%82%BF%E3%83%BC",
}


def _at(base, days, hour):
    """base (UTC) shifted by days, at hour:00 in Tokyo."""
    day = base + timedelta(days=days)
    return day.replace(hour=(hour - 9) % 24, minute=0, second=0, microsecond=0)


def _zemi(org: Organization, now):
    series = events.create_series(
        org,
        None,
        {
            "title": ZEMI,
            "theme": "community",
            "description": ZEMI_DESCRIPTION,
            "prefecture": "32",
            "municipality": "松江市",
            "registration_opens_at": now - timedelta(days=40),
            "registration_closes_at": now + timedelta(days=27),
            "completion_min_sessions": 4,
            "online_threshold_percent": 70,
            "privacy_notice": PRIVACY,
            "published": True,
        },
    )
    plan = [
        ("第1回 関係人口ってなんだろう", -21, "hybrid"),
        ("第2回 島で暮らす、島で働く", -7, "online"),
        ("第3回 地域の仕事をのぞく", 0, "online"),
        ("第4回 わたしの関わりプランづくり", 14, "online"),
        ("第5回 発表会と交流会", 28, "hybrid"),
    ]
    for title, days, fmt in plan:
        # The third session starts in 10 minutes: its live room (open from 15 minutes before)
        # is open right after setup; `flask --app wsgi demo live-now` moves it again later.
        start = (
            (now + timedelta(minutes=10)).replace(second=0, microsecond=0)
            if days == 0
            else (_at(now, days, 13))
        )
        venue = MATSUE if fmt == "hybrid" else {}
        events.add_session(
            series,
            None,
            {
                "title": title,
                "starts_at": start,
                "ends_at": start + timedelta(hours=2),
                "format": fmt,
                **venue,
                "venue_capacity": 40 if fmt == "hybrid" else None,
                "online_capacity": 200,
                # No stream yet for the online session that is live in the demo: its room says
                # so; the others link to a meeting room rather than to a video that is not there.
                "stream_url": "" if days == 0 else "https://meet.jit.si/kakawari-demo-zemi",
            },
        )
    events.set_questions(
        series,
        [
            {"kind": "single", "label": "この講座を何で知りましたか", "required": True,
             "options": ["SNS", "知人の紹介", "自治体の広報", "その他"]},
            {"kind": "multiple", "label": "関心のある分野",
             "options": ["農林水産業", "観光", "教育", "福祉", "起業"]},
            {"kind": "text", "label": "食事のアレルギー（交流会用）", "show_at_checkin": True},
        ],
    )  # fmt: skip
    return series


def _marumori(org: Organization, now):
    series = events.create_series(
        org,
        None,
        {
            "title": MARUMORI,
            "theme": "food",
            "description": MARUMORI_DESCRIPTION,
            "prefecture": "04",
            "municipality": "丸森町",
            "registration_opens_at": now - timedelta(days=5),
            "registration_closes_at": now + timedelta(days=10),
            "selection": "lottery",
            "privacy_notice": PRIVACY,
            "published": True,
        },
    )
    start = _at(now, 20, 10)
    events.add_session(
        series,
        None,
        {
            "title": "ふるさとみつけ塾",
            "starts_at": start,
            "ends_at": start + timedelta(hours=6),
            "format": "hybrid",
            "venue_name": "丸森町まちづくりセンター",
            "venue_address": "宮城県伊具郡丸森町字鳥屋120",
            "venue_capacity": 20,
            "online_capacity": 50,
            "stream_url": "https://meet.jit.si/kakawari-marumori-demo",
        },
    )
    return series


def seed_series(org: Organization) -> list[Series]:
    """Create the demo series once (by title) with registrations in every state."""
    existing = db.session.scalars(
        select(Series).where(Series.org_id == org.id, Series.title.in_([ZEMI, MARUMORI]))
    ).all()
    if existing:
        return existing
    now = utcnow()
    rng = random.Random(2026)  # the same demo every time
    people = db.session.scalars(
        select(User).where(User.email.like("p%@example.jp")).order_by(User.email)
    ).all()
    participant = db.session.scalar(select(User).where(User.email == "participant@example.jp"))

    zemi = _zemi(org, now)
    questions = [str(q.id) for q in zemi.questions]
    signed_up = now - timedelta(days=30)  # they registered a month ago, before session 1
    hybrid_ids = [s.id for s in zemi.sessions if s.format.value == "hybrid"]
    registrations = []
    for i, person in enumerate([participant, *people[:75]]):
        venue = person is participant or rng.random() < 0.62
        modes = dict.fromkeys(hybrid_ids, "venue" if venue else "online")
        answers = {
            questions[0]: rng.choice(["SNS", "知人の紹介", "自治体の広報", "その他"]),
            questions[1]: rng.sample(["農林水産業", "観光", "教育", "福祉", "起業"], 2),
        }
        if i % 9 == 0:
            answers[questions[2]] = rng.choice(["えび", "そば", "乳製品"])
        registrations.append(
            registration.register(zemi, person, modes=modes, answers=answers, consent=True,
                                  now=signed_up + timedelta(minutes=i))
        )  # fmt: skip
    # Three people cancelled before the first session; waiting people moved up.
    for r in registrations[5:8]:
        registration.cancel(r, now=signed_up + timedelta(days=2))

    staff = db.session.scalar(select(User).where(User.email == "staff@example.jp"))
    seed_attendance(org, zemi, people, participant, staff, now)
    seed_archive(zemi, now)

    marumori = _marumori(org, now)
    for person in [participant, *people[60:90]]:
        registration.register(marumori, person, mode=rng.choice(["venue", "online"]),
                              consent=True)  # fmt: skip
    # A resident of 丸森 who applied by phone, without an email: the organiser added her by
    # hand (she can take it over later with a claim code from the participant list).
    organiser = db.session.scalar(select(User).where(User.email == "organizer@example.jp"))
    manage.add_participant(
        marumori,
        organiser,
        {"name": "佐々木 トメ", "furigana": "ささき とめ", "prefecture": "04",
         "relations": ["origin"]},
        modes={s.id: "venue" for s in marumori.sessions},
        consent=True,
    )  # fmt: skip
    return [zemi, marumori]


LIVE_SESSION_TITLE = "第3回 地域の仕事をのぞく"


def move_live_session_to_now(org: Organization) -> Session | None:
    """Start the demo's online session in 10 minutes, so its live room is open now."""
    session = db.session.scalar(
        select(Session)
        .join(Series)
        .where(Series.org_id == org.id, Series.title == ZEMI, Session.title == LIVE_SESSION_TITLE)
    )
    if session is None:
        return None
    start = (utcnow() + timedelta(minutes=10)).replace(second=0, microsecond=0)
    events.update_session(
        session, None, {"starts_at": start, "ends_at": start + timedelta(hours=2)}
    )
    return session
