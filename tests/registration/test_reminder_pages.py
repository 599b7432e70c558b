"""Organisers' reminder pages: switching reminders off per series, the organisation's time of the
day-before reminder, and what was sent, each reached by following links."""

import re

from app.accounts.models import User
from app.accounts.services import create_api_token
from app.events.forms import SeriesForm
from app.extensions import db
from app.orgs.models import Organization
from app.registration import services as reg
from app.registration.reminders import day_before_moment, queue_due_reminders
from tests.conftest import create_user, login, post_form
from tests.registration.factories import make_series


def link_to(page: str, text: str) -> str:
    """The href of the link whose text is `text` (the page must show it)."""
    match = re.search(rf'<a[^>]*href="([^"]+)"[^>]*>\s*{re.escape(text)}\s*</a>', page)
    assert match, f"no link 「{text}」"
    return match.group(1).replace("&amp;", "&")


def form_data(series) -> dict:
    """The edit form as the browser sends it: unchecked boxes are left out."""
    data = {}
    for key, value in SeriesForm.initial(series).items():
        if value is True:
            data[key] = "y"
        elif value not in (False, None):
            data[key] = str(value)
    return data


def test_an_organiser_sees_the_reminders_sent_from_the_series_page(client, world, ctx, smtp):
    series = make_series(world["org"], sessions=[("online", None, 5)])
    reg.register(series, create_user("p@example.jp"), mode="online", consent=True)
    login(client, "organizer@example.jp")
    page = client.get(f"/orgs/{world['org']}/series/{series.id}").get_data(as_text=True)
    reminders_page = link_to(page, "リマインド")
    before = client.get(reminders_page).get_data(as_text=True)
    assert "まだリマインドは送っていません。" in before
    assert "前日 18:00（日本時間）" in before

    session = series.sessions[0]
    queue_due_reminders(day_before_moment(session.starts_at, 18 * 60))
    db.session.commit()
    after = client.get(reminders_page).get_data(as_text=True)
    assert "第1回" in after and "<td>前日</td>" in after and "<td>1</td>" in after


def test_an_organiser_switches_reminders_off_for_a_series(client, world, ctx):
    series = make_series(world["org"])
    assert series.reminders_enabled
    login(client, "organizer@example.jp")
    path = f"/orgs/{world['org']}/series/{series.id}/edit"
    form = client.get(path).get_data(as_text=True)
    (box,) = re.findall(r'<input[^>]*name="reminders_enabled"[^>]*>', form)
    assert " checked " in box
    data = form_data(series)
    del data["reminders_enabled"]
    assert post_form(client, path, data, token_from=path).status_code == 302
    db.session.expire_all()
    assert not series.reminders_enabled
    page = client.get(f"/orgs/{world['org']}/series/{series.id}/reminders").get_data(as_text=True)
    assert "この連続講座ではリマインドを送りません。" in page


def test_an_organiser_sets_the_time_of_the_day_before_reminder(client, world, ctx):
    login(client, "organizer@example.jp")
    overview = client.get(f"/orgs/{world['org']}").get_data(as_text=True)
    settings = link_to(overview, "設定")
    assert 'value="18:00"' in client.get(settings).get_data(as_text=True)

    bad = post_form(client, settings, {"reminder_time": "25:00"}, token_from=settings)
    assert bad.status_code == 422
    assert "時刻を入力してください（例：18:00）。" in bad.get_data(as_text=True)
    good = post_form(client, settings, {"reminder_time": "09:30"}, token_from=settings)
    assert good.status_code == 302
    assert db.session.get(Organization, world["org"]).day_before_reminder_minute == 9 * 60 + 30
    assert 'value="09:30"' in client.get(settings).get_data(as_text=True)


def test_an_api_client_creates_a_series_without_reminders(client, world, ctx):
    secret = create_api_token(db.session.get(User, world["organizer"]), "test")[1]
    db.session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    body = {"title": "リマインドなしの講座", "reminders_enabled": False}
    made = client.post(f"/api/v1/orgs/{world['org']}/series", json=body, headers=headers)
    assert made.status_code == 201, made.json
    assert made.json["reminders_enabled"] is False
    default = client.post(
        f"/api/v1/orgs/{world['org']}/series", json={"title": "ふつうの講座"}, headers=headers
    )
    assert default.json["reminders_enabled"] is True
