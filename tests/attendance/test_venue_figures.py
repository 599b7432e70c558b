"""Figures per venue (サテライト会場): a session held in 松江会場 and 東京会場 plus online shows
who had a place and who attended at each, on the session and series dashboards, in the 年度
report and its files, and in the participant list; in the same number of queries whatever the
number of sessions."""

import csv
import io
from datetime import timedelta

from sqlalchemy import select

from app.attendance.venue_figures import venue_figures
from app.checkin import services as checkin
from app.core.types import utcnow
from app.events.models import Session
from app.extensions import db
from app.registration import services as registration
from app.registration.models import Registration
from tests.attendance.figures import QueryCounter
from tests.attendance.helpers import periodic_pass, shift, stay
from tests.checkin.helpers import two_venue_series
from tests.conftest import create_user, login, post_form


def _held(org_id):
    """The first session, over: in Matsue two of three came (one more was let in at Tokyo with
    a Matsue ticket), in Tokyo both, online one of two stayed long enough."""
    series, session, matsue, tokyo = two_venue_series(org_id)
    people = {}
    for key, mode in (
        ("m1", "venue"), ("m2", "venue"), ("m3", "venue"), ("m4", "venue"),
        ("t1", "venue"), ("t2", "venue"), ("o1", "online"), ("o2", "online"),
    ):  # fmt: skip
        user = create_user(f"{key}@example.jp", name=f"参加 {key}", furigana=f"さんか {key}")
        venue = {"m": matsue, "t": tokyo}.get(key[0])
        r = registration.register(
            series, user, mode=mode, venue_id=venue and venue.id, consent=True
        )
        people[key] = db.session.get(Registration, r.id)
    shift(session, starts_in=timedelta(minutes=-20))
    for key, venue, override in (
        ("m1", matsue, False), ("m2", matsue, False), ("m4", tokyo, True),
        ("t1", tokyo, False), ("t2", tokyo, False),
    ):  # fmt: skip
        verdict = checkin.decide(
            session,
            None,
            registration=people[key],
            source="manual",
            venue_id=venue.id,
            override=override,
        )
        assert verdict.status == "ok", verdict.reason
        db.session.commit()
    shift(session, starts_in=timedelta(hours=-3))
    stay(session, people["o1"].user, 0, 110)
    stay(session, people["o2"].user, 0, 10)
    periodic_pass()
    return series, session, matsue, tokyo


def test_each_venue_and_online_have_their_own_places_and_attendance(app, world):
    with app.app_context():
        series, session, _matsue, tokyo = _held(world["org"])
        lines = venue_figures([session])[session.id]
        assert [(v.name, v.places, v.attended) for v in lines] == [
            ("松江会場", 4, 2),
            ("東京会場", 2, 3),  # its own two, and the Matsue ticket let in here
            ("オンライン", 2, 1),
        ]
        ids = series.id, session.id
    client = app.test_client()
    login(client, world["emails"]["organizer"])
    org = world["org"]
    page = client.get(f"/orgs/{org}/series/{ids[0]}/sessions/{ids[1]}/attendance").text
    assert 'data-testid="venue-figures"' in page
    assert f'data-venue="{tokyo.id}.attended">3<' in page
    assert 'data-venue="online.attended">1<' in page
    board = client.get(f"/orgs/{org}/series/{ids[0]}/dashboard").text
    assert "松江会場 2 / 東京会場 3 / オンライン 1" in board


def test_a_one_venue_session_shows_no_split(app, world):
    from tests.checkin.helpers import series_happening_now

    with app.app_context():
        series = series_happening_now(world["org"], sessions=[("hybrid", 5, 5)])
        assert venue_figures(series.sessions) == {}
        ids = series.id, series.sessions[0].id
    client = app.test_client()
    login(client, world["emails"]["organizer"])
    page = client.get(f"/orgs/{world['org']}/series/{ids[0]}/sessions/{ids[1]}/attendance").text
    assert 'data-testid="venue-figures"' not in page


def test_the_year_report_and_its_files_split_the_session_per_venue(app, world):
    from app.attendance.figures import fiscal_year_of

    with app.app_context():
        _held(world["org"])
        year = fiscal_year_of(utcnow())
    client = app.test_client()
    login(client, world["emails"]["organizer"])
    base = f"/orgs/{world['org']}/reports"
    page = client.get(f"{base}?year={year}").text
    assert 'data-testid="report-venues"' in page and "CSV：会場別" in page
    response = client.get(f"{base}/export.csv?year={year}&table=venues")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == ["講座", "回", "開催日", "会場", "申込（確定）", "参加者数"]
    assert [(r[3], r[4], r[5]) for r in rows[1:]] == [
        ("松江会場", "4", "2"),
        ("東京会場", "2", "3"),
        ("オンライン", "2", "1"),
    ]


def test_the_participant_list_says_each_persons_venue_and_where_they_came(app, world):
    with app.app_context():
        series, *_ = _held(world["org"])
        series_id = series.id
    client = app.test_client()
    login(client, world["emails"]["organizer"])
    url = f"/orgs/{world['org']}/series/{series_id}/participants.csv"
    response = post_form(client, url)
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    column = rows[0].index("第1回：会場")
    by_name = {r[0]: r[column] for r in rows[1:]}
    assert by_name["参加 m1"] == "松江会場"
    assert by_name["参加 t1"] == "東京会場"
    assert by_name["参加 m4"] == "松江会場（東京会場で受付）"
    assert by_name["参加 o1"] == ""


def test_venue_figures_take_two_queries_for_any_number_of_sessions(app, world):
    with app.app_context():
        counts = []
        for n in (1, 4):
            ids = [two_venue_series(world["org"])[1].id for _ in range(n)]
            # as a page loads them: the sessions, their venues with them
            sessions = db.session.scalars(select(Session).where(Session.id.in_(ids))).all()
            with QueryCounter(db.engine) as queries:
                found = venue_figures(sessions)
            assert len(found) == n
            counts.append(queries.count)
        assert counts == [2, 2], counts
