"""Organiser pages for a series: create, edit, publish, unpublish, cancel, and who may."""

from datetime import UTC, datetime

from sqlalchemy import select

from app.events.models import Scope, Selection, Series, SeriesStatus, SessionStatus
from app.extensions import db
from tests.conftest import login, post_form
from tests.registration.factories import make_series

GOOD = {
    "title": "しまね関係人口ゼミ 2026",
    "description": "**松江**で学ぶ講座\n\n- 地域を知る\n- 人に会う\n\n<script>alert(1)</script>",
    "prefecture": "32",
    "municipality": "松江市",
    "registration_opens_at": "2026-09-01T10:00",
    "registration_closes_at": "2026-09-30T23:59",
    "scope": "series",
    "selection": "first_come",
    "waitlist_enabled": "y",
    "completion_min_sessions": "4",
    "online_threshold_percent": "70",
    "checkin_opens_minutes": "60",
    "privacy_notice": "申込情報は本講座の運営にのみ使います。",
}


def _new(client, org_id, data):
    path = f"/orgs/{org_id}/series/new"
    return post_form(client, path, data, token_from=path)


def test_an_organiser_creates_a_series_in_japan_time(client, world, ctx):
    login(client, "organizer@example.jp")
    response = _new(client, world["org"], GOOD)
    series = db.session.scalar(select(Series))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/orgs/{world['org']}/series/{series.id}"
    assert series.org_id == world["org"] and series.status is SeriesStatus.draft
    # 10:00 in Tokyo is 01:00 UTC
    assert series.registration_opens_at == datetime(2026, 9, 1, 1, 0, tzinfo=UTC)
    assert series.registration_closes_at == datetime(2026, 9, 30, 14, 59, tzinfo=UTC)
    assert (series.prefecture, series.municipality) == ("32", "松江市")
    assert series.waitlist_enabled and series.completion_min_sessions == 4
    assert series.checkin_opens_minutes == 60
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<strong>松江</strong>" in page and "<li>地域を知る</li>" in page
    assert "<script>alert" not in page  # the Markdown is sanitised
    assert "2026年9月1日(火) 10:00" in page
    listing = client.get(f"/orgs/{world['org']}/series").get_data(as_text=True)
    assert "しまね関係人口ゼミ 2026" in listing


def test_series_errors_are_shown_beside_their_fields(client, world, ctx):
    login(client, "owner@example.jp")
    bad = {
        **GOOD,
        "title": " ",
        "registration_opens_at": "2026-09-30T10:00",
        "registration_closes_at": "2026-09-01T10:00",
        "completion_min_sessions": "zero",
        "online_threshold_percent": "150",
        "checkin_opens_minutes": "-5",
    }
    response = _new(client, world["org"], bad)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="title-error"' in html
    assert 'id="registration_closes_at-error"' in html
    assert 'id="completion_min_sessions-error"' in html
    assert 'id="online_threshold_percent-error"' in html
    assert 'id="checkin_opens_minutes-error"' in html
    assert db.session.scalar(select(Series)) is None


def test_a_time_that_is_no_time_is_refused_beside_its_field(client, world, ctx):
    login(client, "organizer@example.jp")
    response = _new(client, world["org"], {**GOOD, "registration_opens_at": "来週の月曜"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="registration_opens_at-error"' in html
    assert 'value="来週の月曜"' in html  # what was typed stays, to be corrected


def test_a_lottery_needs_a_deadline(client, world, ctx):
    login(client, "organizer@example.jp")
    response = _new(
        client, world["org"], {**GOOD, "selection": "lottery", "registration_closes_at": ""}
    )
    assert response.status_code == 422
    assert 'id="registration_closes_at-error"' in response.get_data(as_text=True)


def test_editing_shows_japan_time_and_saves(client, world, ctx):
    login(client, "organizer@example.jp")
    _new(client, world["org"], GOOD)
    series = db.session.scalar(select(Series))
    path = f"/orgs/{world['org']}/series/{series.id}/edit"
    form = client.get(path).get_data(as_text=True)
    assert 'value="2026-09-01T10:00"' in form and "しまね関係人口ゼミ 2026" in form
    changed = {**GOOD, "title": "しまね関係人口ゼミ 2026 秋", "scope": "session"}
    changed.pop("waitlist_enabled")  # an unticked box
    response = post_form(client, path, changed, token_from=path)
    assert response.status_code == 302
    db.session.refresh(series)
    assert series.title == "しまね関係人口ゼミ 2026 秋"
    assert series.scope is Scope.session and series.waitlist_enabled is False
    assert series.registration_opens_at == datetime(2026, 9, 1, 1, 0, tzinfo=UTC)


def test_publish_unpublish_and_cancel(client, world, ctx):
    series = make_series(world["org"], published=False, sessions=[("venue", 5, None)] * 2)
    login(client, "organizer@example.jp")
    base = f"/orgs/{world['org']}/series/{series.id}"
    post_form(client, f"{base}/publish", token_from=base)
    db.session.refresh(series)
    assert series.status is SeriesStatus.published
    post_form(client, f"{base}/unpublish", token_from=base)
    db.session.refresh(series)
    assert series.status is SeriesStatus.draft
    response = post_form(client, f"{base}/cancel", token_from=base, follow_redirects=True)
    db.session.expire_all()
    series = db.session.get(Series, series.id)
    assert series.status is SeriesStatus.cancelled
    assert {s.status for s in series.sessions} == {SessionStatus.cancelled}
    assert "badge mg-status-cancelled" in response.get_data(as_text=True)
    # a cancelled series cannot be published again: said, not a crash
    refused = post_form(client, f"{base}/publish", token_from=base, follow_redirects=True)
    assert refused.status_code == 200 and "flash-error" in refused.get_data(as_text=True)
    db.session.refresh(series)
    assert series.status is SeriesStatus.cancelled


def test_actions_need_the_csrf_token(client, world, ctx):
    series = make_series(world["org"], published=False)
    login(client, "organizer@example.jp")
    response = client.post(f"/orgs/{world['org']}/series/{series.id}/publish")
    assert response.status_code == 400
    db.session.refresh(series)
    assert series.status is SeriesStatus.draft


def test_staff_get_403_and_other_organisations_404(app, world, ctx):
    series = make_series(world["org"])
    staff = app.test_client()
    login(staff, "staff@example.jp")
    assert staff.get(f"/orgs/{world['org']}/series").status_code == 403
    assert staff.get(f"/orgs/{world['org']}/series/{series.id}/edit").status_code == 403
    other = app.test_client()
    login(other, "other@example.jp")
    assert other.get(f"/orgs/{world['org']}/series").status_code == 404
    # their own organisation in the path does not open someone else's series
    own = world["other_org"]
    assert other.get(f"/orgs/{own}/series/{series.id}/edit").status_code == 404
    assert other.get(f"/orgs/{own}/series/{series.id}").status_code == 404
    response = post_form(other, f"/orgs/{own}/series/{series.id}/cancel", token_from="/account")
    assert response.status_code == 404
    db.session.refresh(series)
    assert series.status is SeriesStatus.published
    assert "しまね" not in other.get(f"/orgs/{own}/series").get_data(as_text=True)


def test_the_overview_links_organisers_to_their_series(app, world):
    organizer = app.test_client()
    login(organizer, "organizer@example.jp")
    assert f"/orgs/{world['org']}/series" in organizer.get(f"/orgs/{world['org']}").get_data(
        as_text=True
    )
    staff = app.test_client()
    login(staff, "staff@example.jp")
    assert f"/orgs/{world['org']}/series" not in staff.get(f"/orgs/{world['org']}").get_data(
        as_text=True
    )


def test_selection_cannot_change_after_the_draw(client, world, ctx):
    from app.registration import services as reg

    series = make_series(world["org"], selection="lottery")
    reg.draw_lottery(series)
    login(client, "organizer@example.jp")
    path = f"/orgs/{world['org']}/series/{series.id}/edit"
    data = {**GOOD, "selection": "first_come"}
    response = post_form(client, path, data, token_from=path)
    assert response.status_code == 422
    assert 'id="selection-error"' in response.get_data(as_text=True)
    db.session.refresh(series)
    assert series.selection is Selection.lottery
