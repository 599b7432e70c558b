"""The organiser's session form and サテライト会場: adding a second venue, changing each venue's
places, and removing a venue (refused, with the reason, while people hold places there)."""

from app.events.models import Session
from app.extensions import db
from app.registration import services as reg
from tests.conftest import create_user, login, post_form
from tests.registration.factories import make_series


def _form(session, **venues):
    data = {
        "title": session.title,
        "starts_at": "2030-08-24T13:30",
        "ends_at": "2030-08-24T17:30",
        "format": "hybrid",
        "online_capacity": "20",
    }
    return {**data, **{k.replace("__", "-"): v for k, v in venues.items()}}


def test_an_organiser_adds_a_second_venue_and_cannot_remove_one_with_places(client, world, ctx):
    series = make_series(world["org"], sessions=[("hybrid", 20, 20)])
    session = series.sessions[0]
    tokyo = session.venues[0].id
    login(client, "organizer@example.jp")
    edit = f"/orgs/{world['org']}/series/{series.id}/sessions/{session.id}/edit"
    page = client.get(edit).get_data(as_text=True)
    assert 'name="venues-0-name"' in page and 'name="venues-1-name"' not in page

    # 「会場を追加」: the form comes back with a second venue row, nothing saved yet
    first = {
        "venues__0__id": str(tokyo),
        "venues__0__name": "東京会場",
        "venues__0__capacity": "20",
    }
    response = post_form(
        client, edit, {**_form(session, **first), "add_venue": "1"}, token_from=edit
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'name="venues-1-name"' in page and 'value="東京会場"' in page
    db.session.expire_all()
    assert len(db.session.get(Session, session.id).venues) == 1

    second = {"venues__1__name": "松江会場", "venues__1__address": "島根県松江市白潟本町43"}
    second["venues__1__capacity"] = "15"
    response = post_form(client, edit, _form(session, **first, **second), token_from=edit)
    assert response.status_code == 302
    db.session.expire_all()
    venues = db.session.get(Session, session.id).venues
    assert [(v.name, v.capacity) for v in venues] == [("東京会場", 20), ("松江会場", 15)]
    matsue = venues[1].id

    # someone takes a place at 松江会場: removing it is refused, saying why
    reg.register(series, create_user(), mode="venue", venue_id=matsue, consent=True)
    db.session.commit()
    again = {**second, "venues__1__id": str(matsue), "venues__1__remove": "y"}
    response = post_form(client, edit, _form(session, **first, **again), token_from=edit)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "松江会場には申込者が1人" in page
    db.session.expire_all()
    assert len(db.session.get(Session, session.id).venues) == 2

    # the empty 東京会場 can go
    gone = {"venues__0__id": str(tokyo), "venues__0__name": "東京会場", "venues__0__remove": "y"}
    keep = {**second, "venues__1__id": str(matsue)}
    response = post_form(client, edit, _form(session, **gone, **keep), token_from=edit)
    assert response.status_code == 302
    db.session.expire_all()
    assert [v.name for v in db.session.get(Session, session.id).venues] == ["松江会場"]


def test_a_venue_session_needs_a_named_venue_with_its_places(client, world, ctx):
    series = make_series(world["org"], sessions=[])
    login(client, "organizer@example.jp")
    new = f"/orgs/{world['org']}/series/{series.id}/sessions/new"
    data = {
        "title": "第1回",
        "starts_at": "2030-08-24T13:30",
        "ends_at": "2030-08-24T17:30",
        "format": "venue",
        "venues-0-name": "東京会場",
        "venues-0-capacity": "20",
        "venues-1-name": "東京会場",  # the same name twice
        "venues-1-capacity": "10",
    }
    response = post_form(client, new, data, token_from=new)
    assert response.status_code == 422
    assert 'id="venues-1-name-error"' in response.get_data(as_text=True)
    del data["venues-1-name"], data["venues-1-capacity"]
    data["venues-0-name"] = ""
    response = post_form(client, new, data, token_from=new)
    assert response.status_code == 422
    assert 'id="venues-0-name-error"' in response.get_data(as_text=True)
    assert db.session.query(Session).count() == 0
