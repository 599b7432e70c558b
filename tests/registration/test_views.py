"""The participant pages: browsing, registering, 申込一覧, switching and cancelling.

People here read English (locale "en") so the assertions hold before and after the Japanese
catalog is filled in; states are also checked through CSS classes and data attributes.
"""

import re
import threading
from datetime import timedelta

from sqlalchemy import event, func, select
from werkzeug.datastructures import MultiDict

from app.accounts.models import User
from app.core.types import utcnow
from app.events import services as events
from app.events.models import Mode, Session
from app.extensions import db
from app.registration import services as reg
from app.registration.models import PlaceStatus, Registration, RegistrationStatus
from tests.conftest import create_user, login, post_form
from tests.registration.factories import make_series

EN = {"Accept-Language": "en"}


def person(email, **kwargs):
    return create_user(email, locale="en", **kwargs)


def logged_in(app, email, **kwargs):
    with app.app_context():
        user = person(email, **kwargs)
        user_id = user.id
    client = app.test_client()
    login(client, email)
    return client, user_id


def html(response) -> str:
    return response.get_data(as_text=True)


def registration_of(user_id, series_id) -> Registration:
    db.session.expire_all()
    return db.session.scalar(
        select(Registration).where(
            Registration.user_id == user_id, Registration.series_id == series_id
        )
    )


def online_session_in(series, *, days):
    start = utcnow() + timedelta(days=days)
    events.add_session(
        series,
        None,
        {
            "title": "臨時回",
            "starts_at": start,
            "ends_at": start + timedelta(hours=2),
            "format": "online",
        },
    )
    db.session.commit()


def checked(page, name) -> str | None:
    """The value of the checked radio button `name`."""
    match = re.search(rf'<input checked[^>]*name="{name}"[^>]*value="([^"]*)"', page)
    return match and match.group(1)


def submit(client, page_path, action):
    """Send the form whose action is `action` on `page_path` as a browser would: every input
    it holds, the first of a name winning."""
    page = html(client.get(page_path))
    found = re.search(rf'<form[^>]*action="{re.escape(action)}"[^>]*>(.*?)</form>', page, re.S)
    assert found, f"no form for {action} on {page_path}"
    pairs = re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', found.group(1))
    return client.post(action, data=MultiDict(pairs))


def sign_up_via_page(client, series_id, data):
    return post_form(client, f"/series/{series_id}/register", data)


# --- browsing ----------------------------------------------------------------------------------


def test_list_shows_published_series_soonest_first_and_hides_drafts(app, world, client):
    with app.app_context():
        later = make_series(world["org"], title="後の講座", prefecture="32", municipality="松江市")
        online_session_in(later, days=2)
        make_series(world["org"], title="下書きの講座", published=False)
        soon_id = later.id
    page = html(client.get("/series", headers=EN))
    assert "後の講座" in page and "下書きの講座" not in page
    assert "しまね関係人口ラボ" in page and "Shimane</a>松江市" in page
    assert 'class="badge reg-mode-venue"' in page and 'class="badge reg-mode-online"' in page
    assert f"/series/{soon_id}" in page
    assert client.get("/series").status_code == 200  # anonymous, Japanese: fine too


def test_list_orders_by_the_next_session(app, world, client):
    with app.app_context():
        first = make_series(world["org"], title="AAA")
        second = make_series(world["org"], title="BBB")
        # BBB gets an earlier session, so it comes first.
        online_session_in(second, days=1)
        assert first.id < second.id
    page = html(client.get("/series"))
    assert page.index("BBB") < page.index("AAA")


def test_filters_by_prefecture_format_and_online(app, world, client):
    with app.app_context():
        make_series(
            world["org"], title="島根の会場講座", prefecture="32", sessions=[("venue", 5, None)]
        )
        make_series(
            world["org"], title="北海道オンライン", prefecture="01", sessions=[("online", None, 9)]
        )
        make_series(
            world["org"], title="島根ハイブリッド", prefecture="32", sessions=[("hybrid", 5, 5)]
        )

    def titles(query):
        page = html(client.get("/series" + query))
        return {t for t in ("島根の会場講座", "北海道オンライン", "島根ハイブリッド") if t in page}

    assert titles("") == {"島根の会場講座", "北海道オンライン", "島根ハイブリッド"}
    assert titles("?prefecture=32") == {"島根の会場講座", "島根ハイブリッド"}
    assert titles("?format=online") == {"北海道オンライン"}
    assert titles("?format=hybrid&prefecture=32") == {"島根ハイブリッド"}
    assert titles("?online=y") == {"北海道オンライン", "島根ハイブリッド"}
    for nasty in (
        "?prefecture=%00",
        "?format=teleport",
        "?online=%F0%9F%99%82",
        "?prefecture=x" * 50,
    ):
        assert client.get("/series" + nasty).status_code == 200


def test_series_page_shows_sessions_places_and_never_the_stream(app, world, client):
    with app.app_context():
        series = make_series(
            world["org"],
            description="**島根**で学ぶ <script>alert(1)</script>",
            sessions=[("hybrid", 40, 3), ("venue", 2, None)],
        )
        events.update_session(series.sessions[0], None, {"map_url": "https://maps.example/x"})
        db.session.commit()
        for i in range(8):
            reg.register(series, person(f"f{i}@example.jp"), mode="venue", consent=True)
        full = reg.register(series, person("w@example.jp"), mode="online", consent=True)
        assert full.status is RegistrationStatus.confirmed
        series_id = series.id
        draft_id = make_series(world["org"], published=False).id
    page = html(client.get(f"/series/{series_id}", headers=EN))
    assert "<strong>島根</strong>" in page and "<script>alert" not in page
    assert "松江市市民活動センター" in page and "島根県松江市白潟本町43" in page
    assert 'href="https://maps.example/x"' in page
    assert "youtube" not in page
    # session 1: venue 40 with 8 taken, online 3 with 1 taken (few); session 2: venue 2, 7 waiting
    assert "32 places left" in page
    assert "Only a few places left (2)" in page
    assert "Full — waitlist open" in page
    assert "Registration is open until" in page
    assert f"/series/{series_id}/register" in page
    assert client.get(f"/series/{draft_id}").status_code == 404
    assert client.get("/series/999999").status_code == 404


def test_series_page_labels_full_without_waitlist_and_lottery(app, world, client):
    with app.app_context():
        strict = make_series(world["org"], sessions=[("venue", 1, None)], waitlist_enabled=False)
        reg.register(strict, person("a@example.jp"), consent=True)
        lottery = make_series(world["org"], selection="lottery", sessions=[("venue", 40, None)])
        ids = strict.id, lottery.id
    page = html(client.get(f"/series/{ids[0]}", headers=EN))
    assert "reg-avail-full" in page and ">Full<" in page and "waitlist open" not in page
    page = html(client.get(f"/series/{ids[1]}", headers=EN))
    assert "Lottery (closes" in page and "40 places" in page
    assert "Apply for the lottery" in page


def test_series_page_shows_the_window(app, world, client):
    now = utcnow()
    with app.app_context():
        soon = make_series(world["org"], registration_opens_at=now + timedelta(days=1)).id
        closed = make_series(
            world["org"],
            registration_opens_at=now - timedelta(days=3),
            registration_closes_at=now - timedelta(days=1),
        ).id
    page = html(client.get(f"/series/{soon}", headers=EN))
    assert "Registration opens" in page and f"/series/{soon}/register" not in page
    page = html(client.get(f"/series/{closed}", headers=EN))
    assert "Registration is closed." in page and f"/series/{closed}/register" not in page


def test_session_page_is_public_without_stream_and_404_for_drafts(app, world, client):
    with app.app_context():
        series = make_series(world["org"], sessions=[("hybrid", 5, 5), ("online", None, 5)])
        ids = [s.id for s in series.sessions]
        events.cancel_session(series.sessions[1], None)
        db.session.commit()
        draft = make_series(world["org"], published=False).sessions[0].id
    page = html(client.get(f"/sessions/{ids[0]}", headers=EN))
    assert "第1回" in page and "松江市市民活動センター" in page and "youtube" not in page
    assert "This session has been cancelled." in html(client.get(f"/sessions/{ids[1]}", headers=EN))
    assert client.get(f"/sessions/{draft}").status_code == 404
    assert client.get("/sessions/987654").status_code == 404


# --- registering -------------------------------------------------------------------------------


def test_anonymous_people_are_sent_to_log_in_and_come_back(app, world, client):
    with app.app_context():
        series_id = make_series(world["org"]).id
    response = client.get(f"/series/{series_id}/register")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/login?next=/series/{series_id}/register")
    page = html(client.get(f"/series/{series_id}", headers=EN))
    assert f"/signup?next=/series/{series_id}/register" in page.replace("%2F", "/")


def test_register_confirmed_choosing_a_mode_per_hybrid_session(app, world):
    with app.app_context():
        series = make_series(
            world["org"], sessions=[("hybrid", 40, 200)] * 2 + [("online", None, 9)]
        )
        series_id, (s1, s2, s3) = series.id, [s.id for s in series.sessions]
    client, user_id = logged_in(app, "tokyo@example.jp", prefecture="13")
    form = html(client.get(f"/series/{series_id}/register", headers=EN))
    # Someone in Tokyo joining a series without a region: online is chosen for them.
    assert checked(form, f"mode_{s1}") == checked(form, f"mode_{s2}") == "online"
    assert f'name="mode_{s3}"' not in form  # online only: nothing to choose
    response = sign_up_via_page(
        client, series_id, {f"mode_{s1}": "venue", f"mode_{s2}": "online", "consent": "y"}
    )
    assert response.status_code == 302
    with app.app_context():
        registration = registration_of(user_id, series_id)
        assert response.headers["Location"].endswith(
            f"/registrations/{registration.id}/confirmation"
        )
        assert [(p.session_id, p.mode, p.status) for p in registration.places] == [
            (s1, Mode.venue, PlaceStatus.confirmed),
            (s2, Mode.online, PlaceStatus.confirmed),
            (s3, Mode.online, PlaceStatus.confirmed),
        ]
        assert registration.consent_at is not None
    page = html(client.get(response.headers["Location"]))
    assert 'data-outcome="confirmed"' in page and "You are registered" in page


def test_default_mode_is_the_venue_for_people_of_the_region_unless_it_is_full(app, world):
    with app.app_context():
        series = make_series(world["org"], prefecture="32", sessions=[("hybrid", 1, 5)] * 2)
        s1, s2 = [s.id for s in series.sessions]
        reg.register(
            series, person("first@example.jp"), modes={s2: "venue"}, mode="online", consent=True
        )
        series_id = series.id
    client, _ = logged_in(app, "local@example.jp", prefecture="32")
    form = html(client.get(f"/series/{series_id}/register"))
    assert checked(form, f"mode_{s1}") == "venue"
    assert checked(form, f"mode_{s2}") == "online"  # the venue is full: online is suggested


def test_register_waitlisted_shows_the_position(app, world):
    with app.app_context():
        series = make_series(world["org"], sessions=[("venue", 1, None)])
        reg.register(series, person("a@example.jp"), consent=True)
        reg.register(series, person("b@example.jp"), consent=True)
        series_id = series.id
    client, _user_id = logged_in(app, "c@example.jp")
    response = sign_up_via_page(client, series_id, {"consent": "y"})
    page = html(client.get(response.headers["Location"]))
    assert 'data-outcome="waitlisted"' in page and "Waitlist: number 2" in page


def test_register_for_a_lottery_is_an_application(app, world):
    with app.app_context():
        series_id = make_series(world["org"], selection="lottery", sessions=[("venue", 3, None)]).id
    client, user_id = logged_in(app, "l@example.jp")
    response = sign_up_via_page(client, series_id, {"consent": "y"})
    page = html(client.get(response.headers["Location"]))
    assert 'data-outcome="applied"' in page and "Lottery pending" in page
    with app.app_context():
        assert registration_of(user_id, series_id).status is RegistrationStatus.applied


def test_missing_consent_and_answers_show_beside_the_fields_and_write_nothing(app, world):
    with app.app_context():
        series = make_series(
            world["org"], sessions=[("venue", 5, None)], privacy_notice="**記録**を残します"
        )
        events.set_questions(
            series,
            [
                {
                    "kind": "single",
                    "label": "きっかけ",
                    "options": ["SNS", "知人"],
                    "required": True,
                },
                {"kind": "multiple", "label": "関心", "options": ["農業", "観光"]},
                {"kind": "text", "label": "ひとこと", "required": True},
            ],
        )
        db.session.commit()
        series_id = series.id
        q1, q2, q3 = (q.id for q in series.questions)
    client, user_id = logged_in(app, "q@example.jp")
    form = html(client.get(f"/series/{series_id}/register", headers=EN))
    assert "<strong>記録</strong>を残します" in form
    # 「必須」 is part of the question's legend (or label), not a line under it
    assert form.count('<span class="needed">Required</span>') == 2
    assert '<legend>きっかけ <span class="needed">Required</span></legend>' in form
    assert f'<label for="q_{q3}">ひとこと <span class="needed">Required</span></label>' in form
    response = sign_up_via_page(client, series_id, {f"q_{q2}": "宇宙"})
    assert response.status_code == 422
    page = html(response)
    for field in ("consent", f"q_{q1}", f"q_{q2}", f"q_{q3}"):
        assert f'id="{field}-error"' in page, field
    with app.app_context():
        assert registration_of(user_id, series_id) is None
    response = sign_up_via_page(
        client,
        series_id,
        {f"q_{q1}": "知人", f"q_{q2}": ["観光", "農業"], f"q_{q3}": "よろしく", "consent": "y"},
    )
    assert response.status_code == 302
    with app.app_context():
        answers = registration_of(user_id, series_id).answers
        assert answers == {str(q1): "知人", str(q2): ["農業", "観光"], str(q3): "よろしく"}


def test_choosing_sessions_when_the_series_lets_people_pick(app, world):
    with app.app_context():
        series = make_series(world["org"], scope="session", sessions=[("venue", 5, None)] * 3)
        series_id, ids = series.id, [s.id for s in series.sessions]
    client, user_id = logged_in(app, "pick@example.jp")
    response = sign_up_via_page(client, series_id, {"consent": "y"})
    assert response.status_code == 422 and 'id="sessions-error"' in html(response)
    response = sign_up_via_page(
        client, series_id, {"sessions": [str(ids[0]), str(ids[2]), "x", "99999"], "consent": "y"}
    )
    assert response.status_code == 422  # a session of another series is refused
    response = sign_up_via_page(
        client, series_id, {"sessions": [str(ids[0]), str(ids[2])], "consent": "y"}
    )
    assert response.status_code == 302
    with app.app_context():
        assert [p.session_id for p in registration_of(user_id, series_id).places] == [
            ids[0],
            ids[2],
        ]


def test_outside_the_window_nothing_is_written(app, world):
    now = utcnow()
    with app.app_context():
        soon = make_series(world["org"], registration_opens_at=now + timedelta(days=1)).id
        closed = make_series(
            world["org"],
            registration_opens_at=now - timedelta(days=3),
            registration_closes_at=now - timedelta(days=1),
        ).id
    client, _user_id = logged_in(app, "late@example.jp")
    assert "Registration opens" in html(client.get(f"/series/{soon}/register"))
    response = sign_up_via_page(client, soon, {"consent": "y", "mode": "venue"})
    assert response.status_code == 409 and "Registration opens" in html(response)
    response = sign_up_via_page(client, closed, {"consent": "y"})
    assert response.status_code == 409 and "Registration is closed." in html(response)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Registration)) == 0


def test_full_without_waitlist_is_refused_with_the_reason(app, world):
    with app.app_context():
        series = make_series(world["org"], sessions=[("venue", 1, None)], waitlist_enabled=False)
        reg.register(series, person("a@example.jp"), consent=True)
        series_id = series.id
    client, _user_id = logged_in(app, "b@example.jp")
    response = sign_up_via_page(client, series_id, {"consent": "y"})
    assert response.status_code == 409
    assert "is full (venue) and takes no waitlist" in html(response)


def test_registering_again_leads_to_the_existing_registration(app, world):
    with app.app_context():
        series_id = make_series(world["org"]).id
    client, user_id = logged_in(app, "twice@example.jp")
    data = {"consent": "y"}
    first = sign_up_via_page(client, series_id, data)
    second = sign_up_via_page(client, series_id, data)
    with app.app_context():
        registration = registration_of(user_id, series_id)
    assert first.status_code == second.status_code == 302
    assert second.headers["Location"].endswith(f"/registrations/{registration.id}")
    page = html(client.get(second.headers["Location"]))
    assert "You are already registered for this series." in page
    assert client.get(f"/series/{series_id}/register").status_code == 302


def test_a_double_submit_at_the_same_moment_registers_once(app, world):
    with app.app_context():
        series_id = make_series(world["org"]).id
        user_id = person("double@example.jp").id
    clients = [app.test_client(), app.test_client()]
    for c in clients:
        login(c, "double@example.jp")
    tokens = [
        re.search(r'name="csrf_token" value="([^"]+)"', html(c.get("/"))).group(1) for c in clients
    ]
    barrier, results = threading.Barrier(2), []

    def submit(c, token):
        barrier.wait()
        results.append(
            c.post(f"/series/{series_id}/register", data={"consent": "y", "csrf_token": token})
        )

    threads = [
        threading.Thread(target=submit, args=pair) for pair in zip(clients, tokens, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status_code for r in results) == [302, 302]
    with app.app_context():
        count = db.session.scalar(
            select(func.count()).select_from(Registration).where(Registration.user_id == user_id)
        )
        assert count == 1


def test_nasty_values_never_500(app, world):
    with app.app_context():
        series = make_series(world["org"], sessions=[("hybrid", 2, 2)], scope="session")
        events.set_questions(series, [{"kind": "single", "label": "Q", "options": ["a", "b"]}])
        db.session.commit()
        series_id, sid, qid = series.id, series.sessions[0].id, series.questions[0].id
    client, _ = logged_in(app, "nasty@example.jp")
    for value in ("", "\x00", "x" * 5000, "<script>", "🙂" * 50, "-1"):
        data = {f"mode_{sid}": value, "sessions": value, f"q_{qid}": value, "consent": value}
        assert sign_up_via_page(client, series_id, data).status_code < 500


# --- 申込一覧 and the detail page ----------------------------------------------------------------


def test_my_registrations_lists_places_in_a_constant_number_of_queries(app, world):
    with app.app_context():
        user = person("many@example.jp")
        full = make_series(world["org"], title="満席講座", sessions=[("venue", 1, None)])
        reg.register(full, person("x@example.jp"), consent=True)
        reg.register(full, user, consent=True)
        user_id = user.id
    client = app.test_client()
    login(client, "many@example.jp")

    def count_queries():
        seen = []
        with app.app_context():
            engine = db.engine
        listener = lambda *args: seen.append(1)  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            page = html(client.get("/registrations", headers=EN))
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(seen), page

    few, page = count_queries()
    assert "満席講座" in page and "Waitlist: number 1" in page
    with app.app_context():
        user = db.session.get(User, user_id)
        for i in range(4):
            series = make_series(world["org"], title=f"講座{i}", sessions=[("hybrid", 1, 1)] * 3)
            reg.register(series, person(f"o{i}@example.jp"), mode="venue", consent=True)
            reg.register(series, user, mode="venue", consent=True)
    many, page = count_queries()
    assert all(f"講座{i}" in page for i in range(4))
    assert page.count("reg-status-waitlisted") == 13
    assert many == few


def test_other_peoples_registrations_are_404(app, world):
    with app.app_context():
        series = make_series(world["org"])
        mine = reg.register(series, person("owner1@example.jp"), mode="venue", consent=True)
        rid, sid = mine.id, series.sessions[0].id
    client, _ = logged_in(app, "nosy@example.jp")
    assert client.get(f"/registrations/{rid}").status_code == 404
    assert client.get(f"/registrations/{rid}/confirmation").status_code == 404
    for path in (f"/registrations/{rid}/cancel", f"/registrations/{rid}/sessions/{sid}/cancel"):
        assert post_form(client, path).status_code == 404
    assert (
        post_form(
            client, f"/registrations/{rid}/sessions/{sid}/mode", {"mode": "online"}
        ).status_code
        == 404
    )
    with app.app_context():
        assert db.session.get(Registration, rid).status is RegistrationStatus.confirmed


def test_switching_a_mode_needs_room(app, world):
    with app.app_context():
        series = make_series(world["org"], sessions=[("hybrid", 5, 1), ("hybrid", 5, 5)])
        s1, s2 = [s.id for s in series.sessions]
        reg.register(series, person("online@example.jp"), mode="online", consent=True)
        series_id = series.id
    client, user_id = logged_in(app, "switch@example.jp")
    sign_up_via_page(
        client, series_id, {f"mode_{s1}": "venue", f"mode_{s2}": "venue", "consent": "y"}
    )
    with app.app_context():
        rid = registration_of(user_id, series_id).id
    detail = f"/registrations/{rid}"
    response = submit(client, detail, f"{detail}/sessions/{s1}/mode")
    assert response.status_code == 302 and response.headers["Location"].endswith(detail)
    page = html(client.get(detail))
    assert "There is no room online for this session." in page
    submit(client, detail, f"{detail}/sessions/{s2}/mode")
    page = html(client.get(detail))
    assert "第2回: you now take part online." in page
    with app.app_context():
        places = registration_of(user_id, series_id).places
        assert [(p.mode, p.status) for p in places] == [
            (Mode.venue, PlaceStatus.confirmed),
            (Mode.online, PlaceStatus.confirmed),
        ]
    for bad in ("teleport", "\x00", ""):
        assert post_form(client, f"{detail}/sessions/{s2}/mode", {"mode": bad}).status_code == 302
    assert post_form(client, f"{detail}/sessions/999999/mode", {"mode": "venue"}).status_code == 404


def test_cancelling_a_session_promotes_the_next_person_who_sees_it(app, world):
    with app.app_context():
        series = make_series(world["org"], sessions=[("venue", 1, None), ("venue", 5, None)])
        s1 = series.sessions[0].id
        series_id = series.id
    first, first_id = logged_in(app, "first@example.jp")
    waiting, _waiting_id = logged_in(app, "waiting@example.jp")
    sign_up_via_page(first, series_id, {"consent": "y"})
    sign_up_via_page(waiting, series_id, {"consent": "y"})
    assert "Waitlist: number 1" in html(waiting.get("/registrations"))
    with app.app_context():
        rid = registration_of(first_id, series_id).id
    response = submit(first, f"/registrations/{rid}", f"/registrations/{rid}/sessions/{s1}/cancel")
    assert response.status_code == 302
    assert "Your place for 第1回 is cancelled." in html(first.get(f"/registrations/{rid}"))
    page = html(waiting.get("/registrations"))
    assert "reg-status-waitlisted" not in page and page.count("reg-status-confirmed") == 2
    # A second click is harmless.
    post_form(first, f"/registrations/{rid}/sessions/{s1}/cancel")
    assert "is already cancelled" in html(first.get(f"/registrations/{rid}"))


def test_cancelling_the_whole_registration(app, world):
    with app.app_context():
        series_id = make_series(world["org"], sessions=[("venue", 5, None)] * 2).id
    client, user_id = logged_in(app, "bye@example.jp")
    sign_up_via_page(client, series_id, {"consent": "y"})
    with app.app_context():
        rid = registration_of(user_id, series_id).id
    page = html(client.get(f"/registrations/{rid}"))
    assert "data-confirm=" in page
    submit(client, f"/registrations/{rid}", f"/registrations/{rid}/cancel")
    page = html(client.get(f"/registrations/{rid}"))
    assert "Your registration for しまね関係人口ゼミ 2026 is cancelled." in page
    assert "This registration is cancelled." in page and f"/registrations/{rid}/cancel" not in page
    with app.app_context():
        assert db.session.get(Registration, rid).status is RegistrationStatus.cancelled
    post_form(client, f"/registrations/{rid}/cancel")
    assert "Nothing left to cancel" in html(client.get(f"/registrations/{rid}"))
    # Registering again after cancelling is fine.
    assert sign_up_via_page(client, series_id, {"consent": "y"}).status_code == 302


def test_refusals_are_explained(app, world):
    with app.app_context():
        series = make_series(world["org"], sessions=[("hybrid", 5, 5)] * 2)
        s1, s2 = series.sessions
        series_id, ids = series.id, (s1.id, s2.id)
    client, user_id = logged_in(app, "late2@example.jp")
    sign_up_via_page(
        client, series_id, {f"mode_{ids[0]}": "venue", f"mode_{ids[1]}": "venue", "consent": "y"}
    )
    with app.app_context():
        rid = registration_of(user_id, series_id).id
        started = db.session.get(Session, ids[0])
        started.starts_at = utcnow() - timedelta(minutes=5)
        db.session.commit()
    detail = f"/registrations/{rid}"
    page = html(client.get(detail))
    assert f"{detail}/sessions/{ids[0]}/cancel" not in page  # no buttons once it started
    post_form(client, f"{detail}/sessions/{ids[0]}/mode", {"mode": "online"})
    assert "第1回: This session has already started." in html(client.get(detail))
    post_form(client, f"{detail}/sessions/{ids[0]}/cancel")
    assert "第1回: This session has already started." in html(client.get(detail))
    with app.app_context():
        events.cancel_session(db.session.get(Session, ids[1]), None)
        db.session.commit()
        closed = make_series(world["org"], sessions=[("venue", 5, None)])
        db.session.get(Session, closed.sessions[0].id).starts_at = utcnow() - timedelta(days=1)
        db.session.commit()
        closed_id = closed.id
    page = html(client.get(detail))
    assert "Session cancelled" in page and f"{detail}/sessions/{ids[1]}/mode" not in page
    page = html(client.get(f"/series/{closed_id}/register"))
    assert "This series has no upcoming sessions." in page and 'id="register-form"' not in page
