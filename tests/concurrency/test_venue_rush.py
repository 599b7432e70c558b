"""サテライト会場 under a rush, against a real server (gunicorn, gevent workers, PostgreSQL): 300
people register at the same instant for one session held in 東京会場 (20 seats) and 松江会場
(20 seats) and online (20): exactly 20 are confirmed at each, the rest wait in order per venue,
nobody is overbooked; then people switch venues at the same instant and every count holds."""

import threading
import time
from collections import Counter, defaultdict
from datetime import timedelta

import psycopg
import pytest
from sqlalchemy import select

from app.extensions import db
from app.registration.models import Place, PlaceStatus
from tests.concurrency.live import Call, LiveServer, make_people, one, rush
from tests.concurrency.test_registration_rush import assert_answered

SEATS = 20
CLIENTS = 300


@pytest.fixture(scope="module")
def server(live_db, tmp_path_factory):
    with LiveServer(live_db.url, tmp_path_factory.mktemp("server")) as live:
        yield live


def make_two_venues(app) -> dict:
    """A published first-come series of one session: 東京会場 and 松江会場, and online."""
    from app.core.types import utcnow
    from app.events import services as events
    from app.orgs.models import Organization

    now = utcnow()
    with app.app_context():
        org = Organization(name="しまコト")
        db.session.add(org)
        db.session.commit()
        series = events.create_series(
            org,
            None,
            {
                "title": "しまコトアカデミー",
                "registration_opens_at": now - timedelta(days=1),
                "registration_closes_at": now + timedelta(days=20),
                "published": True,
            },
        )
        start = now + timedelta(days=30)
        session = events.add_session(
            series,
            None,
            {
                "title": "第1回 東京と松江",
                "starts_at": start,
                "ends_at": start + timedelta(hours=3),
                "format": "hybrid",
                "online_capacity": SEATS,
                "venues": [
                    {"name": "東京会場", "address": "東京都千代田区", "capacity": SEATS},
                    {"name": "松江会場", "address": "島根県松江市", "capacity": SEATS},
                ],
            },
        )
        db.session.commit()
        stage = {
            "series": series.id,
            "session": session.id,
            "tokyo": session.venues[0].id,
            "matsue": session.venues[1].id,
        }
        db.session.remove()
    return stage


def queues(app, session_id: int) -> dict:
    """{queue: (confirmed registration ids, waiting ids in line order)}; queue is the venue
    id, or "online"."""
    with app.app_context():
        places = db.session.scalars(
            select(Place).where(Place.session_id == session_id).order_by(Place.queue_key, Place.id)
        ).all()
        found = defaultdict(lambda: (set(), []))
        for p in places:
            key = p.venue_id if p.venue_id is not None else "online"
            if p.status is PlaceStatus.confirmed:
                found[key][0].add(p.registration_id)
            elif p.status is PlaceStatus.waitlisted:
                found[key][1].append(p.registration_id)
        db.session.remove()
    return dict(found)


def choice(stage, i: int) -> dict:
    """Person i's choice: 東京会場, 松江会場 or online, in turn."""
    return [
        {"mode": "venue", "venue_id": stage["tokyo"]},
        {"mode": "venue", "venue_id": stage["matsue"]},
        {"mode": "online"},
    ][i % 3]


@pytest.fixture(scope="module")
def rushed(server, live_app):
    stage = make_two_venues(live_app)
    people = make_people(live_app, CLIENTS, "venues")
    path = f"/api/v1/series/{stage['series']}/registrations"
    calls = [
        Call("POST", path, p.token, {**choice(stage, i), "consent": True})
        for i, p in enumerate(people)
    ]
    results = rush(server.port, calls)
    return stage, people, results


def test_each_venue_and_online_confirm_exactly_their_seats_the_rest_wait_in_order(
    rushed, server, live_app
):
    stage, _people, results = rushed
    assert_answered(results, server, 201)
    told = defaultdict(list)  # queue -> the answers of the people who chose it
    for i, r in enumerate(results):
        key = choice(stage, i).get("venue_id", "online")
        (place,) = r.body["sessions"]
        assert place["venue_id"] == (None if key == "online" else key)
        told[key].append((r.body["id"], place["status"], place["waitlist_position"]))
    held = queues(live_app, stage["session"])
    assert set(held) == {stage["tokyo"], stage["matsue"], "online"}
    for key, answers in told.items():
        assert Counter(s for _, s, _ in answers) == {
            "confirmed": SEATS,
            "waitlisted": CLIENTS // 3 - SEATS,
        }, key
        confirmed, waiting = held[key]
        assert confirmed == {rid for rid, s, _ in answers if s == "confirmed"}
        # what people were told is their place in their venue's own line, without gaps
        in_line = sorted((pos, rid) for rid, s, pos in answers if s == "waitlisted")
        assert [pos for pos, _ in in_line] == list(range(1, CLIENTS // 3 - SEATS + 1))
        assert waiting == [rid for _, rid in in_line]


class VenueWatch(threading.Thread):
    """Samples the committed confirmed places per venue (and online) while switches run."""

    def __init__(self, url: str, session_id: int):
        super().__init__(daemon=True)
        self.url, self.session_id = url, session_id
        self.samples: list[dict] = []
        self.done = threading.Event()

    def run(self):
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self.done.is_set():
                rows = conn.execute(
                    "SELECT coalesce(venue_id, 0), count(*) FROM place"
                    " WHERE session_id = %s AND status = 'confirmed' GROUP BY 1",
                    (self.session_id,),
                ).fetchall()
                self.samples.append(dict(rows))
                time.sleep(0.002)


def register_all(server, live_app, stage, wanted: list[dict]) -> dict[int, str]:
    """Each person registers with their choice, one after another; {registration_id: token}."""
    people = make_people(live_app, len(wanted), "switch")
    path = f"/api/v1/series/{stage['series']}/registrations"
    token = {}
    for person, body in zip(people, wanted, strict=True):
        answer = one(server.port, Call("POST", path, person.token, {**body, "consent": True}))
        assert answer.status == 201, answer.body
        token[answer.body["id"]] = person.token
    return token


def test_switching_venues_at_the_same_instant_keeps_every_count(server, live_db, live_app):
    """東京会場 full with 10 waiting, 松江会場 with 10 free seats, 20 online: 20 confirmed in
    東京会場 and 10 confirmed online all switch to 松江会場 at once. Exactly 10 get there, each
    seat they leave in 東京会場 goes to the first waiting there, and no count ever passes its
    capacity."""
    stage = make_two_venues(live_app)
    tokyo, matsue = stage["tokyo"], stage["matsue"]
    token = register_all(
        server,
        live_app,
        stage,
        [{"mode": "venue", "venue_id": tokyo}] * 30
        + [{"mode": "venue", "venue_id": matsue}] * 10
        + [{"mode": "online"}] * 20,
    )
    before = queues(live_app, stage["session"])
    assert [len(before[tokyo][0]), len(before[tokyo][1])] == [SEATS, 10]
    assert len(before[matsue][0]) == 10 and len(before["online"][0]) == SEATS
    movers = sorted(before[tokyo][0]) + sorted(before["online"][0])[:10]
    path = f"/api/v1/registrations/{{}}/sessions/{stage['session']}/switch"
    to_matsue = {"mode": "venue", "venue_id": matsue}
    calls = [Call("POST", path.format(rid), token[rid], to_matsue) for rid in movers]
    watch = VenueWatch(live_db.url, stage["session"])
    watch.start()
    time.sleep(0.05)
    switched = rush(server.port, calls)
    time.sleep(0.05)
    watch.done.set()
    watch.join(10)

    assert_answered(switched, server, 200, 409)
    moved = [rid for rid, r in zip(movers, switched, strict=True) if r.status == 200]
    refused = [r.body["error"]["code"] for r in switched if r.status == 409]
    assert len(moved) == 10 and refused == ["session_full"] * 20
    for sample in watch.samples:  # never above a venue's seats, whatever was committed
        assert all(n <= SEATS for n in sample.values()), sample
    after = queues(live_app, stage["session"])
    left_tokyo = [rid for rid in moved if rid in before[tokyo][0]]
    left_online = [rid for rid in moved if rid in before["online"][0]]
    assert after[matsue][0] == before[matsue][0] | set(moved)  # full now: 20
    assert len(after[matsue][0]) == SEATS and after[matsue][1] == []
    # each seat left in 東京会場 went to the first waiting there, in order
    promoted = before[tokyo][1][: len(left_tokyo)]
    assert after[tokyo][0] == (before[tokyo][0] - set(left_tokyo)) | set(promoted)
    assert after[tokyo][1] == before[tokyo][1][len(left_tokyo) :]
    assert after["online"][0] == before["online"][0] - set(left_online)
    everyone = [rid for key in after for rid in [*after[key][0], *after[key][1]]]
    assert sorted(everyone) == sorted(token)  # everybody somewhere, exactly once
