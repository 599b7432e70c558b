"""Hundreds of people registering and cancelling at the same instant, against a real server
(gunicorn, gevent workers, PostgreSQL): nobody is ever confirmed beyond capacity, the waitlist
has no gaps or duplicates, and every freed seat goes to the first person waiting."""

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass

import psycopg
import pytest
from sqlalchemy import select

from app.extensions import db
from app.registration.models import Place, PlaceStatus, Registration
from tests.concurrency.live import (
    Call,
    LiveServer,
    make_people,
    make_stage,
    one,
    place_counts,
    registration_calls,
    rush,
)

CAPACITY = 20
CLIENTS = 300


@pytest.fixture(scope="module")
def server(live_db, tmp_path_factory):
    with LiveServer(live_db.url, tmp_path_factory.mktemp("server")) as live:
        yield live


def assert_answered(results, server, *statuses):
    wrong = [(r.status, r.body, r.error) for r in results if r.status not in statuses]
    assert not wrong, f"{len(wrong)} unexpected answers, e.g. {wrong[:3]}\n{server.log()[-2000:]}"


@dataclass
class Queue:
    """Who holds the session's places, read from the database."""

    confirmed: set[int]  # registration ids
    waiting: list[int]  # registration ids, first in line first


def queue(app, session_id: int) -> Queue:
    with app.app_context():
        places = db.session.scalars(
            select(Place).where(Place.session_id == session_id).order_by(Place.queue_key, Place.id)
        ).all()
        result = Queue(
            {p.registration_id for p in places if p.status is PlaceStatus.confirmed},
            [p.registration_id for p in places if p.status is PlaceStatus.waitlisted],
        )
        db.session.remove()
    return result


@pytest.fixture(scope="module")
def rushed(server, live_app):
    """300 people register for 20 seats at the same instant."""
    stage = make_stage(live_app, CAPACITY)
    people = make_people(live_app, CLIENTS)
    results = rush(server.port, registration_calls(stage, people))
    return stage, people, results, queue(live_app, stage.session_id)


def test_exactly_capacity_confirmed_and_the_rest_queued_without_gaps(rushed, server, live_app):
    stage, people, results, after = rushed
    assert_answered(results, server, 201)
    bodies = [r.body for r in results]
    assert Counter(b["status"] for b in bodies) == {
        "confirmed": CAPACITY,
        "waitlisted": CLIENTS - CAPACITY,
    }
    positions = sorted(b["waitlist_position"] for b in bodies if b["status"] == "waitlisted")
    assert positions == list(range(1, CLIENTS - CAPACITY + 1))
    # the database agrees with what people were told
    assert place_counts(live_app, stage.session_id) == {
        "confirmed": CAPACITY,
        "waitlisted": CLIENTS - CAPACITY,
    }
    assert after.confirmed == {b["id"] for b in bodies if b["status"] == "confirmed"}
    told_order = sorted(
        (b for b in bodies if b["status"] == "waitlisted"), key=lambda b: b["waitlist_position"]
    )
    assert after.waiting == [b["id"] for b in told_order]
    with live_app.app_context():
        owners = db.session.scalars(
            select(Registration.user_id).where(Registration.series_id == stage.series_id)
        ).all()
        db.session.remove()
    assert sorted(owners) == sorted(p.user_id for p in people)


class ConfirmedWatch(threading.Thread):
    """Samples the committed confirmed and waiting counts while the cancellations run."""

    def __init__(self, url: str, session_id: int):
        super().__init__(daemon=True)
        self.url, self.session_id = url, session_id
        self.samples: list[tuple[int, int]] = []
        self.done = threading.Event()

    def run(self):
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self.done.is_set():
                self.samples.append(
                    conn.execute(
                        "SELECT count(*) FILTER (WHERE status = 'confirmed'),"
                        " count(*) FILTER (WHERE status = 'waitlisted')"
                        " FROM place WHERE session_id = %s",
                        (self.session_id,),
                    ).fetchone()
                )
                time.sleep(0.002)


def test_cancellations_pass_each_seat_to_the_first_in_line(rushed, server, live_db, live_app):
    stage, people, results, before = rushed
    token = {r.body["id"]: p.token for p, r in zip(people, results, strict=True)}
    rng = random.Random(2026)
    leaving_confirmed = rng.sample(sorted(before.confirmed), 10)
    # waiting people behind the first ten leave too, at the same instant
    leaving_waiting = rng.sample(before.waiting[10:], 30)
    calls = [
        Call("DELETE", f"/api/v1/registrations/{rid}", token[rid])
        for rid in leaving_confirmed + leaving_waiting
    ]
    watch = ConfirmedWatch(live_db.url, stage.session_id)
    watch.start()
    time.sleep(0.05)
    cancelled = rush(server.port, calls)
    time.sleep(0.05)
    watch.done.set()
    watch.join(10)

    assert_answered(cancelled, server, 200)
    assert {r.body["status"] for r in cancelled} == {"cancelled"}
    confirmed = [c for c, _ in watch.samples]
    waiting = [w for _, w in watch.samples]
    # never above capacity, and never a free seat while someone waits
    assert max(confirmed) == min(confirmed) == CAPACITY, Counter(confirmed)
    assert waiting == sorted(waiting, reverse=True) and waiting[-1] == CLIENTS - CAPACITY - 40

    after = queue(live_app, stage.session_id)
    first_ten = before.waiting[:10]
    assert after.confirmed == (before.confirmed - set(leaving_confirmed)) | set(first_ten)
    expected_queue = [rid for rid in before.waiting[10:] if rid not in set(leaving_waiting)]
    assert after.waiting == expected_queue
    # what the organiser sees: positions 1..n, no gaps or duplicates, in the same order
    listing = one(
        server.port,
        Call(
            "GET",
            f"/api/v1/series/{stage.series_id}/registrations?status=waitlisted",
            stage.organiser.token,
        ),
    )
    assert listing.status == 200, listing.body
    by_position = sorted(listing.body, key=lambda r: r["places"][0]["waitlist_position"])
    assert [r["places"][0]["waitlist_position"] for r in by_position] == list(
        range(1, len(expected_queue) + 1)
    )
    assert [r["id"] for r in by_position] == expected_queue


def test_one_person_submitting_ten_times_at_once_gets_one_registration(server, live_app):
    stage = make_stage(live_app, 5)
    (person,) = make_people(live_app, 1, "double")
    results = rush(server.port, registration_calls(stage, [person] * 10))
    assert_answered(results, server, 201, 409)
    created = [r.body for r in results if r.status == 201]
    assert len(created) == 1
    refused = [r.body["error"] for r in results if r.status == 409]
    assert {e["code"] for e in refused} == {"already_registered"}
    assert {e["registration_id"] for e in refused} == {created[0]["id"]}
    assert place_counts(live_app, stage.session_id) == {"confirmed": 1}
