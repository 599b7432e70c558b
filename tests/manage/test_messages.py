"""Emailing a filtered group: only the people the filters show receive it, and it is logged."""

from sqlalchemy import func, select

from app.extensions import db
from app.registration.models import MessageLog
from tests.conftest import login, post_form
from tests.manage.helpers import populated_series

MESSAGE = {
    "subject": "第1回 会場のご案内",
    "body": "会場は松江市市民活動センター 3階です。\n当日お待ちしています。",
}


def group(smtp) -> list:
    """The group emails among what the server received (registrations send their own)."""
    return [m for m in smtp if m["Subject"] == MESSAGE["subject"]]


def _send(client, url, data=MESSAGE):
    return post_form(client, url, data, token_from=url.split("/messages")[0] + "/participants")


def test_only_the_filtered_people_receive_it_and_it_is_logged(client, world, smtp, ctx):
    series, _ = populated_series(world["org"])
    s1 = series.sessions[0]
    login(client, "organizer@example.jp")
    base = f"/orgs/{world['org']}/series/{series.id}"
    response = _send(client, f"{base}/messages?session={s1.id}&mode=venue&status=confirmed")
    assert response.status_code == 302
    assert response.headers["Location"] == (
        f"{base}/participants?status=confirmed&mode=venue&session={s1.id}"
    )
    assert sorted(m["To"] for m in group(smtp)) == ["sato@example.jp", "suzuki@example.jp"]
    assert "3階です" in group(smtp)[0].get_body().get_content()
    entry = db.session.scalar(select(MessageLog))
    assert entry.series_id == series.id and entry.sender_id == world["organizer"]
    assert entry.recipient_count == 2
    assert entry.filters == {"status": "confirmed", "mode": "venue", "session_id": s1.id}
    assert entry.subject == MESSAGE["subject"] and "3階" in entry.body
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "第1回 会場のご案内" in page  # the history on the page
    assert f'action="{base}/messages?status=confirmed&amp;mode=venue&amp;session={s1.id}"' in page


def test_a_sessions_page_emails_that_sessions_people(client, world, smtp, ctx):
    series, _ = populated_series(world["org"])
    s1 = series.sessions[0]
    login(client, "organizer@example.jp")
    url = f"/orgs/{world['org']}/series/{series.id}/sessions/{s1.id}/messages?status=waitlisted"
    response = _send(client, url)
    assert response.status_code == 302
    assert [m["To"] for m in group(smtp)] == ["takahashi@example.jp"]
    assert db.session.scalar(select(MessageLog)).filters == {
        "status": "waitlisted",
        "session_id": s1.id,
    }


def test_people_without_an_address_are_skipped(client, world, smtp, ctx):
    series, _ = populated_series(world["org"])
    login(client, "organizer@example.jp")
    base = f"/orgs/{world['org']}/series/{series.id}"
    add = f"{base}/participants/new"
    person = {
        "name": "電話 申込",
        "furigana": "でんわ もうしこみ",
        "prefecture": "32",
        "consent": "y",
        f"mode_{series.sessions[0].id}": "venue",
    }
    assert post_form(client, add, person, token_from=add).status_code == 302
    response = _send(client, f"{base}/messages?prefecture=32")
    assert response.status_code == 302
    assert [m["To"] for m in group(smtp)] == ["tanaka@example.jp"]
    assert db.session.scalar(select(MessageLog)).recipient_count == 1
    assert not any(m["To"].endswith(".invalid") for m in smtp)  # nor their confirmation


def test_a_message_needs_a_subject_and_a_body(client, world, smtp, ctx):
    series, _ = populated_series(world["org"])
    login(client, "organizer@example.jp")
    url = f"/orgs/{world['org']}/series/{series.id}/messages?status=all"
    response = _send(client, url, {"subject": " ", "body": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="subject-error"' in html and 'id="body-error"' in html
    assert "佐藤 一郎" in html  # the list is still there, with the same filters
    nobody = _send(client, url.replace("status=all", "q=存在しない人"))
    assert nobody.status_code == 422 and "form-errors" in nobody.get_data(as_text=True)
    assert group(smtp) == []
    assert db.session.scalar(select(func.count()).select_from(MessageLog)) == 0


def test_staff_and_other_organisations_cannot_send(app, world, smtp, ctx):
    series, _ = populated_series(world["org"])
    base = f"/orgs/{world['org']}/series/{series.id}"
    staff = app.test_client()
    login(staff, "staff@example.jp")
    assert post_form(staff, f"{base}/messages", MESSAGE, token_from="/account").status_code == 403
    other = app.test_client()
    login(other, "other@example.jp")
    foreign = f"/orgs/{world['other_org']}/series/{series.id}/messages"
    assert post_form(other, foreign, MESSAGE, token_from="/account").status_code == 404
    assert group(smtp) == []
    assert db.session.scalar(select(func.count()).select_from(MessageLog)) == 0
