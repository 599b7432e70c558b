"""The registration API: registering, the waitlist, stable error codes, cancelling, lists."""

from datetime import timedelta

import pytest
from sqlalchemy import event, select

from app.core.types import utcnow
from app.events import services as events
from app.extensions import db
from app.registration import services as reg
from app.registration.models import Registration, RegistrationStatus
from tests.api.test_api_events import bearer
from tests.conftest import create_user
from tests.registration.factories import make_series


@pytest.fixture
def people(app):
    """people(n) -> [(user_id, headers)], each with their own API token."""

    def make(n, prefix="p"):
        with app.app_context():
            ids = [create_user(f"{prefix}{i}@example.jp").id for i in range(n)]
        return [(uid, bearer(app, uid)) for uid in ids]

    return make


@pytest.fixture
def series_factory(app, world):
    def make(**kwargs):
        with app.app_context():
            series = make_series(world["org"], **kwargs)
            return series.id, [s.id for s in series.sessions]

    return make


def register(client, series_id, headers, **body):
    return client.post(
        f"/api/v1/series/{series_id}/registrations",
        json={"consent": True, **body},
        headers=headers,
    )


class CountQueries:
    """Counts the SQL statements the app sends while active."""

    def __init__(self, app):
        self.app, self.count = app, 0

    def _count(self, *args):
        self.count += 1

    def __enter__(self):
        with self.app.app_context():
            self.engine = db.engine
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._count)


# --- registering -------------------------------------------------------------------------------


def only_venue(app, session_id: int) -> int:
    from app.events.models import Session

    with app.app_context():
        return db.session.get(Session, session_id).venues[0].id


def test_first_come_confirms_then_waitlists_in_order(app, client, series_factory, people):
    series_id, (session_id,) = series_factory(sessions=[("hybrid", 2, 5)])
    results = [register(client, series_id, h, mode="venue") for _, h in people(4)]
    assert [r.status_code for r in results] == [201] * 4
    assert [(r.json["status"], r.json["waitlist_position"]) for r in results] == [
        ("confirmed", None),
        ("confirmed", None),
        ("waitlisted", 1),
        ("waitlisted", 2),
    ]
    first = results[0].json
    assert first["series_id"] == series_id
    assert first["sessions"] == [
        {
            "session_id": session_id,
            "title": "第1回",
            "starts_at": first["sessions"][0]["starts_at"],
            "mode": "venue",
            "venue_id": only_venue(app, session_id),  # a one-venue session needs no choice
            "status": "confirmed",
            "waitlist_position": None,
        }
    ]


def test_modes_per_session_and_the_best_waitlist_position(client, series_factory, people):
    series_id, (_, s2) = series_factory(sessions=[("hybrid", 1, 5), ("hybrid", 1, 5)])
    (_, a), (_, b), (_, c) = people(3)
    assert register(client, series_id, a, mode="venue").json["status"] == "confirmed"
    b_reg = register(client, series_id, b, mode="venue", modes={str(s2): "online"}).json
    assert [(p["mode"], p["status"]) for p in b_reg["sessions"]] == [
        ("venue", "waitlisted"),
        ("online", "confirmed"),
    ]
    assert b_reg["status"] == "confirmed" and b_reg["waitlist_position"] == 1
    c_reg = register(client, series_id, c, mode="venue").json
    assert c_reg["status"] == "waitlisted"
    assert [p["waitlist_position"] for p in c_reg["sessions"]] == [2, 1]
    assert c_reg["waitlist_position"] == 1  # the best of its places


def test_already_registered_is_409_with_the_registration_id(client, series_factory, people):
    series_id, _ = series_factory()
    ((_, headers),) = people(1)
    first = register(client, series_id, headers, mode="online")
    again = register(client, series_id, headers, mode="venue")
    assert again.status_code == 409
    assert again.json["error"]["code"] == "already_registered"
    assert again.json["error"]["registration_id"] == first.json["id"]


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"registration_opens_at": utcnow() + timedelta(days=1)}, "registration_not_open"),
        (
            {
                "registration_opens_at": utcnow() - timedelta(days=3),
                "registration_closes_at": utcnow() - timedelta(days=1),
            },
            "registration_closed",
        ),
        ({"sessions": [("venue", 0, None)], "waitlist_enabled": False}, "session_full"),
    ],
    ids=["not-open", "closed", "full"],
)
def test_stable_error_codes(client, series_factory, people, kwargs, code):
    series_id, _ = series_factory(**kwargs)
    ((_, headers),) = people(1)
    response = register(client, series_id, headers, mode="venue")
    assert response.status_code == 409
    assert response.json["error"]["code"] == code
    assert response.json["error"]["message"]
    with client.application.app_context():
        assert db.session.scalar(select(Registration)) is None


def test_drafts_and_unknown_series_are_404(client, series_factory, people):
    draft, _ = series_factory(published=False)
    ((_, headers),) = people(1)
    assert register(client, draft, headers, mode="venue").status_code == 404
    assert register(client, 999999, headers, mode="venue").status_code == 404


def test_anonymous_cannot_register(client, series_factory):
    series_id, _ = series_factory()
    response = register(client, series_id, {}, mode="venue")
    assert response.status_code == 401
    assert response.json["error"]["code"] == "authentication_required"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"consent": False}, "consent"),
        ({"consent": None}, "consent"),
        ({"consent": "sure"}, "consent"),
        ({"mode": "telepathy"}, "mode"),
        ({"mode": None}, "mode"),
        ({"mode": 1}, "mode"),
        ({"modes": {"abc": "venue"}}, "modes"),
        ({"modes": {"²": "venue"}}, "modes"),
        ({"modes": ["venue"]}, "modes"),
        ({"modes": {"1": 5}}, "modes"),
        ({"session_ids": "1"}, "session_ids"),
        ({"answers": ["x"]}, "answers"),
        ({"answers": "x"}, "answers"),
        ({"unexpected": 1}, "unexpected"),
    ],
)
def test_validation_errors_name_the_field(client, series_factory, people, body, field):
    series_id, _ = series_factory()
    ((_, headers),) = people(1)
    response = client.post(
        f"/api/v1/series/{series_id}/registrations",
        json={"consent": True, "mode": "venue", **body},
        headers=headers,
    )
    assert response.status_code == 422, response.json
    assert response.json["error"]["code"] == "validation_error"
    assert response.json["error"]["fields"][field]
    with client.application.app_context():
        assert db.session.scalar(select(Registration)) is None


def test_answers_are_validated_and_kept(app, client, world, series_factory, people):
    series_id, _ = series_factory(sessions=[("online", None, None)])
    with app.app_context():
        series = events.get_series(series_id)
        events.set_questions(
            series,
            [
                {
                    "kind": "single",
                    "label": "関わり",
                    "options": ["出身", "興味"],
                    "required": True,
                },
                {"kind": "multiple", "label": "関心", "options": ["食", "仕事", "子育て"]},
                {"kind": "text", "label": "ひとこと"},
            ],
        )
        db.session.commit()
        single, multiple, text = (q.id for q in events.get_series(series_id).questions)
    ((_, headers),) = people(1)
    wrong = [
        ({}, single),
        ({str(single): "宇宙"}, single),
        ({str(single): "出身", str(multiple): ["食", "宇宙"]}, multiple),
        ({str(single): "出身", str(multiple): "食"}, multiple),
        ({str(single): "出身", str(text): "x" * 2001}, text),
        ({str(single): "出身", str(text): {"a": 1}}, text),
    ]
    for answers, question_id in wrong:
        response = register(client, series_id, headers, answers=answers)
        assert response.status_code == 422, answers
        assert f"answers.{question_id}" in response.json["error"]["fields"], answers
    ok = register(
        client,
        series_id,
        headers,
        answers={str(single): "出身", str(multiple): ["仕事", "食"], str(text): " よろしく "},
    )
    assert ok.status_code == 201, ok.json
    listing = client.get(
        f"/api/v1/series/{series_id}/registrations", headers=bearer(app, world["organizer"])
    ).json
    assert listing[0]["answers"] == {
        str(single): "出身",
        str(multiple): ["食", "仕事"],  # in the question's order
        str(text): "よろしく",
    }


def test_session_scope_needs_sessions_of_this_series(client, series_factory, people):
    series_id, (_, s2) = series_factory(
        scope="session", sessions=[("venue", 5, None), ("online", None, None)]
    )
    _, (foreign,) = series_factory(sessions=[("venue", 5, None)])
    ((_, headers),) = people(1)
    assert register(client, series_id, headers).json["error"]["fields"]["session_ids"]
    wrong = register(client, series_id, headers, session_ids=[foreign])
    assert wrong.status_code == 422 and "session_ids" in wrong.json["error"]["fields"]
    ok = register(client, series_id, headers, session_ids=[s2])
    assert ok.status_code == 201
    assert [(p["session_id"], p["mode"]) for p in ok.json["sessions"]] == [(s2, "online")]


@pytest.mark.parametrize(
    "body",
    ["not json", "[1, 2]", '"text"', "null", "123", "{", '{"consent": true, "answers": [1]}'],
)
def test_malformed_json_never_500(client, series_factory, people, body):
    series_id, _ = series_factory()
    ((_, headers),) = people(1)
    response = client.post(
        f"/api/v1/series/{series_id}/registrations",
        data=body,
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code in (400, 422)
    assert response.json["error"]["code"] in ("invalid_json", "validation_error")


# --- my registrations --------------------------------------------------------------------------


def test_my_registrations_list_places_and_positions(app, client, series_factory, people):
    a_series, (a_session,) = series_factory(sessions=[("venue", 1, None)])
    b_series, _ = series_factory(sessions=[("online", None, None), ("online", None, None)])
    (_, first), (_, me) = people(2)
    register(client, a_series, first)
    register(client, a_series, me)
    register(client, b_series, me)
    mine = client.get("/api/v1/me/registrations", headers=me)
    assert mine.status_code == 200
    assert [(r["series_id"], r["status"], r["waitlist_position"]) for r in mine.json] == [
        (a_series, "waitlisted", 1),
        (b_series, "confirmed", None),
    ]
    assert mine.json[0]["sessions"][0] == {
        "session_id": a_session,
        "title": "第1回",
        "starts_at": mine.json[0]["sessions"][0]["starts_at"],
        "mode": "venue",
        "venue_id": only_venue(app, a_session),
        "status": "waitlisted",
        "waitlist_position": 1,
    }
    assert len(mine.json[1]["sessions"]) == 2
    assert client.get("/api/v1/me/registrations").status_code == 401


def test_my_registrations_take_the_same_queries_for_one_or_many(
    app, client, series_factory, people
):
    (_, me), (_, other) = people(2)

    def queries():
        with CountQueries(app) as counter:
            assert client.get("/api/v1/me/registrations", headers=me).status_code == 200
        return counter.count

    first, _ = series_factory(sessions=[("venue", 1, None)])
    register(client, first, other)
    register(client, first, me)  # waitlisted: has a position
    one = queries()
    for _ in range(4):
        series_id, _ = series_factory(sessions=[("venue", 1, None), ("online", None, None)])
        register(client, series_id, other)
        register(client, series_id, me)
    assert queries() == one


# --- cancelling --------------------------------------------------------------------------------


def test_cancelling_promotes_the_first_waiting_person(client, series_factory, people):
    series_id, _ = series_factory(sessions=[("venue", 1, None)])
    (_, a), (_, b), (_, c) = people(3)
    mine = register(client, series_id, a).json
    register(client, series_id, b)
    register(client, series_id, c)
    response = client.delete(f"/api/v1/registrations/{mine['id']}", headers=a)
    assert response.status_code == 200
    assert response.json["status"] == "cancelled" and response.json["cancelled_at"]
    assert [p["status"] for p in response.json["sessions"]] == ["cancelled"]
    assert client.get("/api/v1/me/registrations", headers=b).json[0]["status"] == "confirmed"
    c_now = client.get("/api/v1/me/registrations", headers=c).json[0]
    assert (c_now["status"], c_now["waitlist_position"]) == ("waitlisted", 1)
    again = client.delete(f"/api/v1/registrations/{mine['id']}", headers=a)
    assert again.status_code == 200 and again.json["status"] == "cancelled"
    assert register(client, series_id, a).json["waitlist_position"] == 2  # may register anew


@pytest.mark.parametrize("role", ["organizer", "owner", "admin", "other", "participant"])
def test_only_the_owner_cancels(app, client, world, series_factory, people, role):
    series_id, _ = series_factory()
    ((_, owner),) = people(1)
    registration_id = register(client, series_id, owner, mode="venue").json["id"]
    response = client.delete(
        f"/api/v1/registrations/{registration_id}", headers=bearer(app, world[role])
    )
    assert response.status_code == 404
    assert client.delete(f"/api/v1/registrations/{registration_id}").status_code == 401
    assert client.delete("/api/v1/registrations/999999", headers=owner).status_code == 404
    with app.app_context():
        registration = db.session.get(Registration, registration_id)
        assert registration.status is RegistrationStatus.confirmed


# --- the organiser's list ----------------------------------------------------------------------


def test_organisers_list_participants_with_filters(app, client, world, series_factory):
    series_id, (session_id,) = series_factory(sessions=[("hybrid", 1, 5)])
    with app.app_context():
        people = [
            create_user("sato@example.jp", name="佐藤 一郎", furigana="さとう いちろう"),
            create_user("aoki@example.jp", name="青木 花", furigana="あおき はな", prefecture="32"),
            create_user("ueda@example.jp", name="上田 蓮", furigana="うえだ れん"),
        ]
        a_id, b_id, c_id = (p.id for p in people)
    a, b, c = (bearer(app, uid) for uid in (a_id, b_id, c_id))
    register(client, series_id, a, mode="venue")
    register(client, series_id, b, mode="venue")
    c_reg = register(client, series_id, c, mode="online").json
    client.delete(f"/api/v1/registrations/{c_reg['id']}", headers=c)
    url = f"/api/v1/series/{series_id}/registrations"
    organizer = bearer(app, world["organizer"])
    listing = client.get(url, headers=organizer)
    assert listing.status_code == 200
    rows = listing.json
    # by furigana, cancelled people left out unless asked for (as on the organiser's page)
    assert [(r["user_id"], r["status"]) for r in rows] == [
        (b_id, "waitlisted"),
        (a_id, "confirmed"),
    ]
    aoki = rows[0]
    assert (aoki["name"], aoki["furigana"], aoki["email"]) == (
        "青木 花",
        "あおき はな",
        "aoki@example.jp",
    )
    assert aoki["prefecture"] == {"code": "32", "name": "島根県"}
    place = aoki["places"][0]
    assert (place["session_id"], place["title"], place["mode"]) == (session_id, "第1回", "venue")
    assert (place["status"], place["waitlist_position"]) == ("waitlisted", 1)

    def who(query):
        response = client.get(url + query, headers=organizer)
        assert response.status_code == 200, response.json
        return [r["user_id"] for r in response.json]

    assert who("?status=all") == [b_id, c_id, a_id]
    assert who("?status=waitlisted") == [b_id]
    assert who("?status=cancelled") == [c_id]
    assert who("?mode=venue") == [b_id, a_id]
    assert who("?mode=online") == []  # c's online place was cancelled
    assert who("?mode=online&status=all") == [c_id]
    assert who("?mode=venue&status=confirmed") == [a_id]
    assert who(f"?session={session_id}&status=confirmed") == [a_id]
    assert who("?prefecture=島根県") == who("?prefecture=32") == [b_id]
    assert who("?q=さとう") == who("?q=サトウ") == who("?q=sato@") == [a_id]
    # pages, with the filters
    assert who("?status=all&per_page=2") == [b_id, c_id]
    assert who("?status=all&per_page=2&page=2") == [a_id]
    assert who("?status=all&per_page=2&page=3") == []
    assert who("?status=all&page=1") == [b_id, c_id, a_id]  # 100 a page
    for query in ("?status=maybe", "?mode=zoom", "?session=x", "?page=0", "?per_page=1001"):
        bad = client.get(url + query, headers=organizer)
        assert bad.status_code == 422 and bad.json["error"]["code"] == "validation_error"


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 401),
        ("participant", 404),
        ("staff", 403),
        ("other", 404),
        ("admin", 404),
        ("owner", 200),
    ],
)
def test_participant_list_is_for_organisers_of_the_org(
    app, client, world, series_factory, role, status
):
    series_id, _ = series_factory()
    headers = {} if role == "anonymous" else bearer(app, world[role])
    response = client.get(f"/api/v1/series/{series_id}/registrations", headers=headers)
    assert response.status_code == status
    if status != 200:
        assert response.json["error"]["code"]


def test_participant_list_takes_the_same_queries_for_few_or_many(
    app, client, world, series_factory, people
):
    series_id, _ = series_factory(sessions=[("venue", 1, None), ("online", None, None)])
    organizer = bearer(app, world["organizer"])
    url = f"/api/v1/series/{series_id}/registrations"

    def queries():
        with CountQueries(app) as counter:
            assert client.get(url, headers=organizer).status_code == 200
        return counter.count

    queries()  # the token's first use records it: not part of the list
    for _, headers in people(2, "a"):
        register(client, series_id, headers)
    few = queries()
    for _, headers in people(6, "b"):
        register(client, series_id, headers)
    assert queries() == few


def test_manual_registrations_show_their_source(app, client, world, series_factory):
    series_id, _ = series_factory()
    with app.app_context():
        person = create_user("phone@example.jp")
        reg.register(events.get_series(series_id), person, mode="venue", source="manual")
    rows = client.get(
        f"/api/v1/series/{series_id}/registrations", headers=bearer(app, world["organizer"])
    ).json
    assert [r["source"] for r in rows] == ["manual"]
