"""The archive's pages: the organiser's form from the series page, the participant's archive
page, マイページ, the session page, 参加履歴, the dashboards and the participant list."""

import csv
import io
from datetime import timedelta

from sqlalchemy import select

from app.archive.models import Archive
from app.core.types import utcnow
from app.events.models import Session
from app.extensions import db
from app.mail.models import OutgoingMail
from tests.archive.conftest import publish
from tests.attendance.figures import QueryCounter
from tests.conftest import csrf_token, login, post_form

EMBED = "https://www.youtube-nocookie.com/embed/AbCdEfGhIjK"
SOURCE = "youtu.be/AbCdEfGhIjK"


def _client(app, email):
    client = app.test_client()
    login(client, email)
    return client


def _manage_url(ids):
    return f"/orgs/{ids['org']}/series/{ids['series']}/sessions/{ids['session']}/archive"


def test_the_organiser_publishes_from_the_series_page(app, world, finished):
    client = _client(app, world["emails"]["organizer"])
    series_page = client.get(f"/orgs/{finished['org']}/series/{finished['series']}")
    assert _manage_url(finished) in series_page.get_data(as_text=True)
    page = client.get(_manage_url(finished))
    assert page.status_code == 200 and "アーカイブ" in page.get_data(as_text=True)
    data = {"url": "https://youtu.be/AbCdEfGhIjK", "days": "14", "published": "y"}
    response = post_form(client, _manage_url(finished), data, token_from=_manage_url(finished))
    assert response.status_code == 302
    html = client.get(_manage_url(finished)).get_data(as_text=True)
    assert "公開中" in html
    with app.app_context():
        archive = db.session.scalar(select(Archive))
        assert archive.embed_url == EMBED and not archive.venue_allowed
        archive_mails = select(OutgoingMail.recipient).where(
            OutgoingMail.subject.contains("アーカイブ")
        )
        assert db.session.scalars(archive_mails).all() == ["participant@example.jp"]


def test_a_bad_address_gets_its_message_beside_the_field(app, world, finished):
    client = _client(app, world["emails"]["organizer"])
    data = {"url": "http://example.jp/video", "days": "14", "published": "y"}
    response = post_form(client, _manage_url(finished), data, token_from=_manage_url(finished))
    assert response.status_code == 422
    assert "YouTube" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Archive)) is None


def test_staff_and_other_organisations_cannot_manage_it(app, world, finished):
    assert _client(app, world["emails"]["staff"]).get(_manage_url(finished)).status_code == 403
    assert _client(app, world["emails"]["other"]).get(_manage_url(finished)).status_code == 404
    client = _client(app, world["emails"]["participant"])
    assert client.get(_manage_url(finished)).status_code == 404


def test_the_participant_watches_from_mypage(app, world, finished):
    with app.app_context():
        publish(finished["session"], finished["organizer"])
    client = _client(app, world["emails"]["participant"])
    mypage = client.get("/me").get_data(as_text=True)
    watch = f"/sessions/{finished['session']}/archive"
    assert watch in mypage
    page = client.get(watch)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert EMBED in html and "js/archive.js" in html
    assert page.headers["Cache-Control"] == "private, no-store"
    session_page = client.get(f"/sessions/{finished['session']}").get_data(as_text=True)
    assert watch in session_page


def test_others_get_a_message_never_the_link(app, world, finished):
    with app.app_context():
        publish(finished["session"], finished["organizer"])
    watch = f"/sessions/{finished['session']}/archive"
    for email, status, words in (
        ("venue@example.jp", 403, "オンライン"),
        ("outsider@example.jp", 403, "申し込んだ方"),
        (world["emails"]["organizer"], 403, "申し込んだ方"),
    ):
        client = _client(app, email)
        response = client.get(watch)
        html = response.get_data(as_text=True)
        assert response.status_code == status, email
        assert words in html and SOURCE not in html and EMBED not in html
        assert watch not in client.get("/me").get_data(as_text=True)
        session_page = client.get(f"/sessions/{finished['session']}").get_data(as_text=True)
        assert EMBED not in session_page and SOURCE not in session_page
    anonymous = app.test_client()
    assert anonymous.get(watch).status_code == 302
    assert EMBED not in anonymous.get(f"/sessions/{finished['session']}").get_data(as_text=True)


def test_outside_the_window_a_message(app, world, finished):
    with app.app_context():
        archive = publish(finished["session"], finished["organizer"])
        archive.available_until = utcnow() - timedelta(minutes=1)
        db.session.commit()
    client = _client(app, world["emails"]["participant"])
    response = client.get(f"/sessions/{finished['session']}/archive")
    assert response.status_code == 403
    assert "視聴期間は" in response.get_data(as_text=True)
    assert EMBED not in response.get_data(as_text=True)


def test_no_archive_is_a_404_with_a_message(app, world, finished):
    client = _client(app, world["emails"]["participant"])
    response = client.get(f"/sessions/{finished['session']}/archive")
    assert response.status_code == 404
    assert "アーカイブはありません" in response.get_data(as_text=True)


def _beat(client, session_id, tab="tab-a-0001", page="/me"):
    return client.post(
        f"/api/v1/sessions/{session_id}/archive/heartbeat",
        json={"tab": tab},
        headers={"X-CSRFToken": csrf_token(client, page)},
    )


def test_viewing_shows_in_history_dashboards_and_the_participant_list(app, world, finished):
    with app.app_context():
        publish(finished["session"], finished["organizer"])
    client = _client(app, world["emails"]["participant"])
    assert _beat(client, finished["session"]).status_code == 200
    with app.app_context():  # the tab stayed 5 minutes: rewind its start
        from app.archive.models import ArchiveInterval, ArchiveViewing

        interval = db.session.scalar(select(ArchiveInterval))
        interval.started_at -= timedelta(minutes=5)
        interval.last_seen_at -= timedelta(seconds=20)
        db.session.commit()
    assert _beat(client, finished["session"]).json["minutes"] == 5
    with app.app_context():
        viewing = db.session.get(ArchiveViewing, (finished["session"], finished["online"]))
        assert viewing.seconds >= 300
    history = client.get("/me/history").get_data(as_text=True)
    assert "アーカイブ視聴 5 分" in history
    held = client.get("/me/data.json").json["archive_viewing"]
    assert [(v["session_id"], v["seconds"] >= 300) for v in held] == [(finished["session"], True)]
    rows = list(csv.reader(io.StringIO(client.get("/me/history.csv").get_data(as_text=True))))
    assert "アーカイブ視聴（分）" in rows[0][0:] or any("アーカイブ" in h for h in rows[0])
    assert "5" in rows[-1]

    organiser = _client(app, world["emails"]["organizer"])
    base = f"/orgs/{finished['org']}/series/{finished['series']}"
    dashboard = organiser.get(f"{base}/sessions/{finished['session']}/attendance")
    html = dashboard.get_data(as_text=True)
    assert 'data-archive="people">1<' in html and 'data-archive="minutes">5<' in html
    board = organiser.get(f"{base}/dashboard").get_data(as_text=True)
    assert f'data-archive="{finished["session"]}">1 / 5<' in board
    exported = post_form(organiser, f"{base}/participants.csv", token_from=base).get_data()
    table = list(csv.reader(io.StringIO(exported.decode("utf-8-sig"))))
    column = next(i for i, h in enumerate(table[0]) if "アーカイブ視聴" in h and "第2回" in h)
    person = next(r for r in table if r[0] == "山田 花子")
    assert person[column] == "5"


def test_the_series_dashboard_reads_archive_figures_in_constant_queries(app, world, finished):
    organiser = _client(app, world["emails"]["organizer"])
    url = f"/orgs/{finished['org']}/series/{finished['series']}/dashboard"
    with app.app_context():
        publish(finished["session"], finished["organizer"], venue_allowed=True)
    counts = []
    for who in ("participant", "venue"):
        client = _client(app, f"{who}@example.jp")
        _beat(client, finished["session"], tab=f"tab-{who}-1")
        assert organiser.get(url).status_code == 200
        with app.app_context(), QueryCounter(db.engine) as queries:
            assert organiser.get(url).status_code == 200
        counts.append(queries.count)
    assert counts[0] == counts[1], counts


def test_the_series_form_sets_the_archive_option(app, world, finished):
    organiser = _client(app, world["emails"]["organizer"])
    edit = f"/orgs/{finished['org']}/series/{finished['series']}/edit"
    html = organiser.get(edit).get_data(as_text=True)
    assert 'name="archive_counts_minutes"' in html
    with app.app_context():
        session = db.session.get(Session, finished["session"])
        assert session.series.archive_counts_minutes is None  # off by default
