"""Two phones scanning the same ticket at the same instant, against a real server (gunicorn,
gevent workers, PostgreSQL): exactly one check-in and one "already checked in" per ticket;
the same nonce sent twice at once is one check-in; two phones syncing the same offline
admissions at once give one check-in plus one flagged duplicate per ticket."""

import os
import secrets
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from tests.concurrency.live import Call, LiveServer, Person, make_people, rush

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        os.environ.get("KAKAWARI_TEST_DB") != "postgresql",
        reason="runs once per `make test`, in the PostgreSQL run (brings its own database)",
    ),
]

TICKETS = 50


@dataclass
class Venue:
    session_id: int
    phones: list[Person]  # staff members of the organisation, one token each
    #: (registration id, ticket secret) of each ticket holder
    tickets: list[tuple[int, str]]

    @property
    def scan_path(self) -> str:
        return f"/api/v1/sessions/{self.session_id}/checkins"


def make_venue(app, holders: int, phones: int = 2) -> Venue:
    """A session whose check-in is open, `phones` staff members of its organisation with a
    token each, and `holders` confirmed venue registrations with a ticket each (inserted in
    bulk: registering is not what is tested or measured here). The benchmark uses it too."""
    from app.checkin.models import Ticket
    from app.core.types import utcnow
    from app.events import services as events
    from app.events.models import Mode
    from app.orgs.models import Membership, Organization, Role
    from app.registration.models import Place, PlaceStatus, Registration, RegistrationStatus

    staff = make_people(app, phones, "phone")
    people = make_people(app, holders, "holder")
    now = utcnow()
    with app.app_context():
        org = Organization(name="しまね関係人口ラボ")
        db.session.add(org)
        db.session.add_all(Membership(org=org, user_id=s.user_id, role=Role.staff) for s in staff)
        db.session.commit()
        series = events.create_series(org, None, {"title": "受付の講座", "published": True})
        db.session.commit()
        session = events.add_session(
            series,
            None,
            {
                "title": "第1回 松江",
                "starts_at": now + timedelta(minutes=30),
                "ends_at": now + timedelta(hours=3),
                "format": "venue",
                "venue_name": "松江市市民活動センター",
                "venue_capacity": holders,
            },
        )
        db.session.commit()
        tickets = []
        for person in people:
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
                    mode=Mode.venue,
                    status=PlaceStatus.confirmed,
                    confirmed_at=now,
                )
            )
            db.session.add(registration)
            db.session.flush()
            secret = secrets.token_urlsafe(20)
            db.session.add(Ticket(registration_id=registration.id, secret=secret))
            tickets.append((registration.id, secret))
        db.session.commit()
        venue = Venue(session.id, staff, tickets)
        db.session.remove()
    return venue


def checkin_rows(app, session_id: int) -> list[tuple[int, str, int | None]]:
    """(registration id, nonce, duplicate of) of every check-in of the session."""
    from app.checkin.models import CheckIn

    with app.app_context():
        rows = db.session.execute(
            select(CheckIn.registration_id, CheckIn.nonce, CheckIn.duplicate_of_id)
            .where(CheckIn.session_id == session_id)
            .order_by(CheckIn.id)
        ).all()
        db.session.remove()
    return [tuple(r) for r in rows]


def assert_all_answered(results, server):
    wrong = [(r.status, r.body, r.error) for r in results if r.status != 200]
    assert not wrong, f"{len(wrong)} unexpected answers, e.g. {wrong[:3]}\n{server.log()[-2000:]}"


@pytest.fixture(scope="module")
def server(live_db, tmp_path_factory):
    with LiveServer(live_db.url, tmp_path_factory.mktemp("checkin-server")) as live:
        yield live


def test_two_phones_scanning_each_ticket_at_once_check_it_in_once(server, live_app):
    venue = make_venue(live_app, TICKETS)
    a, b = venue.phones
    calls = []
    for i, (_rid, secret) in enumerate(venue.tickets):
        for phone, name in ((a, "a"), (b, "b")):
            body = {"secret": secret, "nonce": f"{name}-{i}", "device_id": f"phone-{name}"}
            calls.append(Call("POST", venue.scan_path, phone.token, body))
    results = rush(server.port, calls)
    assert_all_answered(results, server)

    verdicts = defaultdict(list)
    for r in results:
        verdicts[r.body["registration"]["id"]].append(r.body)
    assert len(verdicts) == TICKETS
    for answers in verdicts.values():
        assert sorted(v["status"] for v in answers) == ["already_checked_in", "ok"], answers
        ok, yellow = sorted(answers, key=lambda v: v["status"] != "ok")
        # the yellow screen names the same check-in: when, and on which phone's staff
        assert yellow["checkin_id"] == ok["checkin_id"]
        assert yellow["checked_in_at"] == ok["checked_in_at"]
    rows = checkin_rows(live_app, venue.session_id)
    assert Counter(rid for rid, _n, _d in rows) == dict.fromkeys(verdicts, 1)
    assert all(dup is None for _r, _n, dup in rows)
    # the two phones' requests for a ticket really were in flight together
    pairs = zip(results[::2], results[1::2], strict=True)
    together = sum(x.started < y.finished and y.started < x.finished for x, y in pairs)
    assert together >= TICKETS * 0.8, f"only {together} of {TICKETS} pairs overlapped"


def test_the_same_nonce_sent_twice_at_once_is_one_check_in(server, live_app):
    venue = make_venue(live_app, 20)
    a = venue.phones[0]
    calls = []
    for i, (_rid, secret) in enumerate(venue.tickets):
        body = {"secret": secret, "nonce": f"retry-{i}", "device_id": "phone-a"}
        # a phone retrying a request whose answer it never got, at the very same moment
        calls += [Call("POST", venue.scan_path, a.token, body)] * 2
    results = rush(server.port, calls)
    assert_all_answered(results, server)
    by_nonce = defaultdict(list)
    for call, r in zip(calls, results, strict=True):
        by_nonce[call.body["nonce"]].append(r.body)
    for answers in by_nonce.values():
        assert [v["status"] for v in answers] == ["ok", "ok"], answers
        assert answers[0]["checkin_id"] == answers[1]["checkin_id"]
    rows = checkin_rows(live_app, venue.session_id)
    assert sorted(n for _r, n, _d in rows) == sorted(by_nonce)


def test_two_phones_syncing_the_same_offline_admissions_at_once(server, live_app):
    """Both phones let everyone in while the Wi-Fi was down; they sync at the same moment, and
    phone a's queue goes out twice (a retry). One check-in per person, one flagged duplicate."""
    from app.core.types import utcnow

    venue = make_venue(live_app, 30)
    a, b = venue.phones
    scanned = (utcnow() - timedelta(minutes=5)).isoformat()

    def queue(name):
        return {
            "scans": [
                {
                    "secret": secret,
                    "nonce": f"offline-{name}-{i}",
                    "scanned_at": scanned,
                    "device_id": f"phone-{name}",
                    "offline_verdict": "ok",
                }
                for i, (_rid, secret) in enumerate(venue.tickets)
            ]
        }

    path = venue.scan_path + "/sync"
    calls = [
        Call("POST", path, a.token, queue("a")),
        Call("POST", path, b.token, queue("b")),
        Call("POST", path, a.token, queue("a")),
    ]
    results = rush(server.port, calls)
    assert_all_answered(results, server)
    for r in results:
        assert {x["status"] for x in r.body["results"]} <= {"ok", "already_checked_in"}
    rows = checkin_rows(live_app, venue.session_id)
    standing = [rid for rid, _n, dup in rows if dup is None]
    flagged = [rid for rid, _n, dup in rows if dup is not None]
    everyone = sorted(rid for rid, _s in venue.tickets)
    assert sorted(standing) == everyone
    assert sorted(flagged) == everyone
    assert len({n for _r, n, _d in rows}) == len(rows) == 2 * len(everyone)
