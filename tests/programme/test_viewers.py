"""委託元: an owner invites a viewer (an organisation or a person), who accepts by the emailed
link, sees the programme side by side with its other organisations, and loses it when revoked;
each view is in the viewed organisation's security log; a viewer is no member."""

import re

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.events.models import Series
from app.extensions import db
from app.orgs.models import Role
from app.programme.models import ViewerGrant
from tests.conftest import create_org, create_user, login, post_form
from tests.events.test_series_pages import GOOD
from tests.programme.factories import VIEWER_EMAIL, add_member, two_programmes

CITY = "kikaku@city.matsue.example.jp"


def _invite(client, org_id, email, kind="org"):
    return post_form(
        client,
        f"/orgs/{org_id}/viewers/invitations",
        {"email": email, "kind": kind},
        token_from=f"/orgs/{org_id}/viewers",
    )


def _link(smtp) -> str:
    return re.search(
        r"http://localhost(/programme/invitations/\S+)", smtp[-1].get_body().get_content()
    )[1]


def _events(org_id, name) -> list[AuditEvent]:
    return db.session.scalars(
        select(AuditEvent).where(AuditEvent.org_id == org_id, AuditEvent.event == name)
    ).all()


def test_an_owner_invites_a_city_which_accepts_for_its_organisation(app, world, smtp, ctx):
    owner = app.test_client()
    login(owner, "owner@example.jp")
    overview = owner.get(f"/orgs/{world['org']}").get_data(as_text=True)
    assert f"/orgs/{world['org']}/viewers" in overview  # reached by clicking
    assert _invite(owner, world["org"], CITY).status_code == 302
    assert CITY in owner.get(f"/orgs/{world['org']}/viewers").get_data(as_text=True)
    link = _link(smtp)
    assert "松江" not in link

    # someone else with the link cannot accept it
    intruder = app.test_client()
    login(intruder, "participant@example.jp")
    assert post_form(intruder, link, {"viewer_org": "1"}, token_from=link).status_code == 403

    city_person = create_user(CITY, name="松江 市子")
    city = app.test_client()
    login(city, CITY)
    page = city.get(link).get_data(as_text=True)
    assert "/orgs" in page and "Accept" not in page  # owns no organisation yet: make one first
    matsue = create_org("松江市 まちづくり課", owner=city_person)
    refused = post_form(city, link, {"viewer_org": str(world["org"])}, token_from=link)
    assert refused.status_code == 422  # not one of theirs
    accepted = post_form(city, link, {"viewer_org": str(matsue.id)}, token_from=link)
    assert accepted.headers["Location"] == "/programme"
    grant = db.session.scalar(select(ViewerGrant))
    assert (grant.org_id, grant.viewer_org_id, grant.viewer_user_id) == (
        world["org"],
        matsue.id,
        None,
    )
    assert city.get(link).status_code == 404  # used up
    assert "/programme" in city.get("/").get_data(as_text=True)  # マイページ leads there
    assert city.get("/programme").status_code == 200
    assert [e.details["viewer"] for e in _events(world["org"], "programme.viewer_joined")] == [
        "松江市 まちづくり課"
    ]

    # the viewer organisation's organisers view too, its staff do not
    organiser, staff = create_user("o@city.example.jp"), create_user("s@city.example.jp")
    add_member(matsue.id, organiser, Role.organizer)
    add_member(matsue.id, staff, Role.staff)
    for email, status in (("o@city.example.jp", 200), ("s@city.example.jp", 404)):
        client = app.test_client()
        login(client, email)
        assert client.get("/programme").status_code == status


def test_a_person_invited_alone_views_and_is_revoked(app, world, smtp, ctx):
    owner = app.test_client()
    login(owner, "owner@example.jp")
    _invite(owner, world["org"], "researcher@example.jp", kind="person")
    person = create_user("researcher@example.jp", name="研究 者")
    viewer = app.test_client()
    login(viewer, "researcher@example.jp")
    link = _link(smtp)
    post_form(viewer, link, token_from=link)
    grant = db.session.scalar(select(ViewerGrant))
    assert grant.viewer_user_id == person.id and grant.viewer_org_id is None
    assert viewer.get("/programme").status_code == 200

    page = owner.get(f"/orgs/{world['org']}/viewers").get_data(as_text=True)
    assert "研究 者" in page
    post_form(
        owner,
        f"/orgs/{world['org']}/viewers/{grant.id}/revoke",
        token_from=f"/orgs/{world['org']}/viewers",
    )
    assert viewer.get("/programme").status_code == 404
    assert "/programme" not in viewer.get("/").get_data(as_text=True)
    assert len(_events(world["org"], "programme.viewer_revoked")) == 1


def test_bad_invitations_are_refused_beside_the_field(app, world, ctx):
    owner = app.test_client()
    login(owner, "owner@example.jp")
    for email, kind in (("not-an-address", "org"), ("ok@example.jp", "everyone")):
        response = _invite(owner, world["org"], email, kind)
        assert response.status_code == 422
        assert "has-error" in response.get_data(as_text=True) or "error" in response.get_data(
            as_text=True
        )
    organiser = app.test_client()
    login(organiser, "organizer@example.jp")
    assert organiser.get(f"/orgs/{world['org']}/viewers").status_code == 403  # owners only


def test_every_view_is_in_the_viewed_organisations_security_log(app, world, ctx):
    ids = two_programmes(world)
    viewer = app.test_client()
    login(viewer, VIEWER_EMAIL)
    viewer.get("/programme")
    viewer.get(f"/programme/orgs/{ids['org_a']}/series/{ids['series_a']}")
    viewer.get("/programme/export.csv")
    viewer.get("/api/v1/programme")
    db.session.expire_all()
    seen_a = [e.details["what"] for e in _events(ids["org_a"], "programme.viewed")]
    seen_b = [e.details["what"] for e in _events(ids["org_b"], "programme.viewed")]
    assert sorted(seen_a) == ["api", "csv", "page", "series"]
    assert sorted(seen_b) == ["api", "csv", "page"]  # B's series was not opened
    assert all(e.actor_id == ids["viewer"] for e in _events(ids["org_a"], "programme.viewed"))
    owner = app.test_client()
    login(owner, "owner@example.jp")
    log = owner.get(f"/orgs/{ids['org_a']}/audit").get_data(as_text=True)
    assert "programme.viewed" in log and "島根 県子" in log and "島根県 地域振興部" in log


def test_a_viewer_is_no_member_and_sees_only_programme_series(app, world, ctx):
    ids = two_programmes(world)
    viewer = app.test_client()
    login(viewer, VIEWER_EMAIL)
    org = ids["org_a"]
    for path in (
        f"/orgs/{org}",
        f"/orgs/{org}/reports",
        f"/orgs/{org}/reports/export.csv?table=summary",
        f"/orgs/{org}/series/{ids['series_a']}",
        f"/orgs/{org}/series/{ids['series_a']}/dashboard",
        f"/orgs/{org}/series/{ids['series_a']}/participants",
        f"/orgs/{org}/audit",
        f"/api/v1/series/{ids['series_a']}/registrations",
    ):
        assert viewer.get(path).status_code == 404, path
    assert viewer.get(f"/programme/orgs/{org}/series/{ids['outside']}").status_code == 404
    assert viewer.get(f"/programme/orgs/{ids['pref']}/series/{ids['series_a']}").status_code == 404
    page = viewer.get("/programme").get_data(as_text=True)
    assert "しまね関係人口ゼミ" in page and "うんなん未来塾" in page
    assert "programme外の講座" not in page  # not part of the programme


def test_the_organiser_marks_a_series_as_part_of_the_programme(app, world, ctx):
    organiser = app.test_client()
    login(organiser, "organizer@example.jp")
    new = f"/orgs/{world['org']}/series/new"
    post_form(organiser, new, {**GOOD, "in_programme": "y"}, token_from=new)
    series = db.session.scalar(select(Series))
    assert series.in_programme
    edit = f"/orgs/{world['org']}/series/{series.id}/edit"
    post_form(organiser, edit, GOOD, token_from=edit)  # the box left unticked
    db.session.expire_all()
    assert not db.session.get(Series, series.id).in_programme
    page = organiser.get(f"/orgs/{world['org']}/series/{series.id}").get_data(as_text=True)
    assert 'data-testid="series-in-programme"' in page


def test_invited_again_while_viewing_keeps_one_grant(app, world, smtp, ctx):
    owner = app.test_client()
    login(owner, "owner@example.jp")
    create_user("researcher@example.jp")
    viewer = app.test_client()
    login(viewer, "researcher@example.jp")
    for _ in range(2):
        _invite(owner, world["org"], "researcher@example.jp", kind="person")
        link = _link(smtp)
        assert post_form(viewer, link, token_from=link).status_code == 302
    assert len(db.session.scalars(select(ViewerGrant)).all()) == 1
