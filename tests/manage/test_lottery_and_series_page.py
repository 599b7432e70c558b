"""The series page (places per session and mode) and drawing a lottery from it."""

import re

from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.events import services as events
from app.events.models import Series
from app.extensions import db
from app.registration import services as reg
from app.registration.models import Registration, RegistrationStatus
from tests.conftest import create_user, login, post_form
from tests.manage.helpers import populated_series
from tests.registration.factories import make_series


def test_the_series_page_shows_places_per_session_and_mode(client, world, ctx):
    series, _ = populated_series(world["org"])
    login(client, "organizer@example.jp")
    html = client.get(f"/orgs/{world['org']}/series/{series.id}").get_data(as_text=True)
    counts = re.findall(r'<span class="mg-mode">[^<]+</span>\s*([^<]*?)\s*</li>', html)
    # session 1: venue 2 of 2 and one waiting; online 1 of 5; session 2 online: 4, unlimited
    assert [re.findall(r"\d+", c) for c in counts] == [["2", "2", "1"], ["1", "5"], ["4"]]
    assert "https://www.youtube.com/watch?v=demo" in html  # the stream, for organisers only
    for s in series.sessions:
        assert f"/sessions/{s.id}/participants" in html and f"/sessions/{s.id}/edit" in html


def _lottery_series(org_id, applicants=3):
    series = make_series(org_id, sessions=[("venue", 1, None)], selection="lottery")
    for i in range(applicants):
        reg.register(series, create_user(f"lot{i}@example.jp"), consent=True)
    return series


def test_an_organiser_draws_the_lottery_and_sees_seed_and_result(client, world, ctx):
    series = _lottery_series(world["org"])
    login(client, "organizer@example.jp")
    page = f"/orgs/{world['org']}/series/{series.id}"
    assert f"{page}/lottery" in client.get(page).get_data(as_text=True)
    confirm = client.get(f"{page}/lottery").get_data(as_text=True)
    assert "data-confirm" in confirm and 'method="post"' in confirm
    response = post_form(client, f"{page}/lottery", token_from=f"{page}/lottery")
    assert response.headers["Location"] == page
    db.session.expire_all()
    series = db.session.get(Series, series.id)
    assert series.lottery_drawn_at is not None and series.lottery_seed
    statuses = sorted(
        r.status.value
        for r in db.session.scalars(select(Registration).where(Registration.series_id == series.id))
    )
    assert statuses == ["confirmed", "waitlisted", "waitlisted"]
    after = client.get(page).get_data(as_text=True)
    assert f"<code>{series.lottery_seed}</code>" in after
    assert series.lottery_seed in after.split('class="flashes"')[1].split("</div>")[0]
    assert "badge mg-status-confirmed" in after and "badge mg-status-waitlisted" in after
    assert f'href="{page}/lottery"' not in after  # drawn: no button any more


def test_a_lottery_is_drawn_once(client, world, ctx):
    series = _lottery_series(world["org"])
    login(client, "organizer@example.jp")
    url = f"/orgs/{world['org']}/series/{series.id}/lottery"
    post_form(client, url, token_from=url)
    again = post_form(client, url, token_from=url, follow_redirects=True)
    assert again.status_code == 200 and "flash-error" in again.get_data(as_text=True)
    drawn = db.session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.event == "series.lottery_drawn")
    )
    assert drawn == 1
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(Registration)
            .where(Registration.status == RegistrationStatus.confirmed)
        )
        == 1
    )


def test_first_come_series_have_no_lottery_page(client, world, ctx):
    series = make_series(world["org"])
    login(client, "organizer@example.jp")
    url = f"/orgs/{world['org']}/series/{series.id}/lottery"
    assert client.get(url).status_code == 404
    assert post_form(client, url, token_from="/account").status_code == 404
    cancelled = _lottery_series(world["org"], applicants=0)
    events.cancel_series(cancelled, None)
    db.session.commit()
    assert client.get(f"/orgs/{world['org']}/series/{cancelled.id}/lottery").status_code == 404


def test_staff_and_other_organisations_cannot_draw(app, world, ctx):
    series = _lottery_series(world["org"])
    url = f"/orgs/{world['org']}/series/{series.id}/lottery"
    staff = app.test_client()
    login(staff, "staff@example.jp")
    assert post_form(staff, url, token_from="/account").status_code == 403
    other = app.test_client()
    login(other, "other@example.jp")
    foreign = f"/orgs/{world['other_org']}/series/{series.id}/lottery"
    assert post_form(other, foreign, token_from="/account").status_code == 404
    db.session.refresh(series)
    assert series.lottery_drawn_at is None
