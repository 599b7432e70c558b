"""サテライト会場 at the door, against a real server (gunicorn, gevent workers, PostgreSQL): two
staff phones at two venues of one session, 松江会場 online and 東京会場 offline. Each venue
admits only its own people (a ticket for the other venue answers a red verdict naming it), the
offline phone's list holds only its venue's people, and its queued batch syncs later and
reconciles exactly once: sending it again, even twice at once, changes nothing."""

import os
import secrets
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from tests.concurrency.live import Call, LiveServer, make_people, one, rush

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        os.environ.get("KAKAWARI_TEST_DB") != "postgresql",
        reason="runs once per `make test`, in the PostgreSQL run (brings its own database)",
    ),
]

PER_VENUE = 20
ONLINE = 6


@pytest.fixture(scope="module")
def server(live_db, tmp_path_factory):
    with LiveServer(live_db.url, tmp_path_factory.mktemp("venue-checkin-server")) as live:
        yield live


def make_two_venues(app):
    """A hybrid session whose check-in is open, held in 松江会場 and 東京会場 with PER_VENUE
    confirmed places each, plus ONLINE people online; one staff phone per venue."""
    from app.checkin.models import Ticket
    from app.core.types import utcnow
    from app.events import services as events
    from app.events.models import Mode, SessionVenue
    from app.orgs.models import Membership, Organization, Role
    from app.registration.models import Place, PlaceStatus, Registration, RegistrationStatus

    phones = make_people(app, 2, "venue-phone")
    people = make_people(app, 2 * PER_VENUE + ONLINE, "venue-holder")
    now = utcnow()
    with app.app_context():
        org = Organization(name="しまね関係人口ラボ")
        db.session.add(org)
        db.session.add_all(Membership(org=org, user_id=p.user_id, role=Role.staff) for p in phones)
        db.session.commit()
        series = events.create_series(org, None, {"title": "しまね関係人口講座", "published": True})
        db.session.commit()
        session = events.add_session(
            series,
            None,
            {
                "title": "第1回 松江・東京",
                "starts_at": now + timedelta(minutes=30),
                "ends_at": now + timedelta(hours=3),
                "format": "hybrid",
                "venue_name": "松江会場",
                "venue_capacity": PER_VENUE,
                "online_capacity": 100,
            },
        )
        db.session.commit()
        matsue = session.venues[0]
        tokyo = SessionVenue(session_id=session.id, position=1, name="東京会場", capacity=PER_VENUE)
        db.session.add(tokyo)
        db.session.flush()
        where = [("matsue", matsue.id)] * PER_VENUE + [("tokyo", tokyo.id)] * PER_VENUE
        where += [("online", None)] * ONLINE
        holders = {"matsue": [], "tokyo": [], "online": []}
        for person, (name, venue_id) in zip(people, where, strict=True):
            registration = Registration(
                series_id=series.id,
                user_id=person.user_id,
                status=RegistrationStatus.confirmed,
                answers={},
                consent_at=now,
            )
            registration.places.append(
                Place(
                    session_id=session.id,
                    mode=Mode.online if venue_id is None else Mode.venue,
                    venue_id=venue_id,
                    status=PlaceStatus.confirmed,
                    confirmed_at=now,
                )
            )
            db.session.add(registration)
            db.session.flush()
            secret = secrets.token_urlsafe(20)
            db.session.add(Ticket(registration_id=registration.id, secret=secret))
            holders[name].append((registration.id, secret))
        db.session.commit()
        ids = session.id, matsue.id, tokyo.id
        db.session.remove()
    return ids, phones, holders


def checkins(app, session_id):
    """(registration id, venue id, nonce, duplicate of, override) of the session's check-ins."""
    from app.checkin.models import CheckIn

    with app.app_context():
        rows = db.session.execute(
            select(
                CheckIn.registration_id,
                CheckIn.venue_id,
                CheckIn.nonce,
                CheckIn.duplicate_of_id,
                CheckIn.venue_override,
            )
            .where(CheckIn.session_id == session_id)
            .order_by(CheckIn.id)
        ).all()
        db.session.remove()
    return [tuple(r) for r in rows]


def overrides_logged(app, session_id) -> int:
    from app.audit.models import AuditEvent

    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.event == "checkin.venue_override")
        ).all()
        count = sum(e.details.get("session_id") == session_id for e in events)
        db.session.remove()
    return count


def test_two_phones_at_two_venues_one_offline_each_admit_their_own_and_sync_once(server, live_app):
    from app.core.secrets import hash_secret
    from app.core.types import utcnow

    (session_id, matsue, tokyo), (phone_matsue, phone_tokyo), holders = make_two_venues(live_app)
    base = f"/api/v1/sessions/{session_id}/checkins"

    # Before the Wi-Fi drops in Tokyo, its phone downloads Tokyo's list: Tokyo's people and
    # those registered online, with names; Matsue's tickets only as hash and venue.
    listed = one(server.port, Call("GET", f"{base}/list?venue_id={tokyo}", phone_tokyo.token))
    assert listed.status == 200, listed.body
    names = {e["registration_id"] for e in listed.body["entries"]}
    assert names == {rid for rid, _ in holders["tokyo"] + holders["online"]}
    assert {e["hash"] for e in listed.body["elsewhere"]} == {
        hash_secret(s) for _, s in holders["matsue"]
    }
    assert all(set(e) == {"hash", "venue_id"} for e in listed.body["elsewhere"])
    assert listed.body["session"]["venue"] == {"id": tokyo, "name": "東京会場"}
    # a scanner must say where it is when the session has several venues
    nowhere = one(server.port, Call("GET", f"{base}/list", phone_tokyo.token))
    assert nowhere.status == 422 and "venue_id" in nowhere.body["error"]["fields"]

    # Matsue, online: its own people at once, and three people who came with a Tokyo ticket
    latecomer = holders["matsue"][-1]  # lets Tokyo let them in later, with the override
    matsue_people = holders["matsue"][:-1]
    strays = holders["tokyo"][:3]
    calls = [
        Call(
            "POST",
            base,
            phone_matsue.token,
            {"secret": s, "nonce": f"m-{rid}", "device_id": "phone-matsue", "venue_id": matsue},
        )
        for rid, s in matsue_people + strays
    ]
    results = rush(server.port, calls)
    assert all(r.status == 200 for r in results), [r.body for r in results if r.status != 200]
    verdicts = [r.body for r in results]
    assert [v["status"] for v in verdicts[: len(matsue_people)]] == ["ok"] * len(matsue_people)
    for red in verdicts[len(matsue_people) :]:
        assert red["status"] == "rejected" and red["reason"] == "wrong_venue"
        assert red["message"] == "東京会場のチケットです。" and red["overridable"] is True

    # Tokyo, offline all along: it let in its own people, two people registered online, and the
    # Matsue latecomer with 「この会場で受付」; the batch goes out when the network is back.
    scanned = (utcnow() - timedelta(minutes=5)).isoformat()
    queued = [(rid, s, False) for rid, s in holders["tokyo"] + holders["online"][:2]]
    queued.append((latecomer[0], latecomer[1], True))
    batch = {
        "venue_id": tokyo,
        "scans": [
            {
                "secret": s,
                "nonce": f"t-{rid}",
                "scanned_at": scanned,
                "device_id": "phone-tokyo",
                "offline_verdict": "ok",
                "override": override,
            }
            for rid, s, override in queued
        ],
    }
    first = one(server.port, Call("POST", f"{base}/sync", phone_tokyo.token, batch))
    assert first.status == 200, first.body
    by_rid = {rid: r for (rid, _s, _o), r in zip(queued, first.body["results"], strict=True)}
    for rid, _s in holders["tokyo"]:
        # three of them were turned away in Matsue, so they came here: in, at Tokyo
        assert by_rid[rid]["status"] == "ok", by_rid[rid]
    for rid, _s in holders["online"][:2]:
        assert by_rid[rid]["warning"] == "registered_online"
    assert by_rid[latecomer[0]]["status"] == "ok" and by_rid[latecomer[0]]["venue_override"]
    after_first = checkins(live_app, session_id)

    # The phone did not hear the answer and sends the batch again, twice at the same moment
    again = rush(server.port, [Call("POST", f"{base}/sync", phone_tokyo.token, batch)] * 2)
    assert all(r.status == 200 for r in again)
    for r in again:
        assert [x["checkin_id"] for x in r.body["results"]] == [
            x["checkin_id"] for x in first.body["results"]
        ]
    assert checkins(live_app, session_id) == after_first  # nothing new, nothing changed

    at = Counter(venue for _r, venue, _n, dup, _o in after_first if dup is None)
    assert at == {
        matsue: len(matsue_people),
        tokyo: PER_VENUE + 2 + 1,  # its own, two from online, the latecomer
    }
    assert all(dup is None for *_, dup, _o in after_first)
    assert len({rid for rid, *_ in after_first}) == len(after_first)  # each person once
    assert [rid for rid, _v, _n, _d, o in after_first if o] == [latecomer[0]]
    assert overrides_logged(live_app, session_id) == 1

    # each phone's counter is its venue's
    for phone, venue, expected in (
        (phone_matsue, matsue, PER_VENUE + 2),
        (phone_tokyo, tokyo, PER_VENUE + 2),
    ):
        status = one(server.port, Call("GET", f"{base}/status?venue_id={venue}", phone.token))
        assert status.status == 200
        assert status.body["checked_in"] == at[venue]
        # the people registered online who came to Tokyo now hold a place there
        assert status.body["expected"] == (PER_VENUE if venue == matsue else expected)
