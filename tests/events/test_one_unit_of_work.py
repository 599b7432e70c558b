"""A change to a series or a session is one unit of work (issue 17): the page or API operation
commits once, the services only flush; what participants hear of it (session_changed,
series_cancelled) follows that commit, and a request that fails leaves nothing behind."""

import pytest
from sqlalchemy import func, select, text

from app.audit.models import AuditEvent
from app.events import services as events
from app.events.models import Series, SeriesStatus, Session, SessionStatus
from app.events.signals import series_cancelled, session_changed
from app.extensions import db
from app.registration import services as reg
from tests.api.test_api_events import SESSION, bearer
from tests.commits import counted_post
from tests.conftest import create_user, login
from tests.events.test_series_pages import GOOD
from tests.registration.factories import make_series


@pytest.fixture
def heard():
    """What session_changed and series_cancelled told, with whether it was committed then (read
    on another connection)."""
    told = []

    def listener(sender, **kwargs):
        with db.engine.connect() as other:
            statuses = other.execute(text("SELECT status FROM session")).scalars().all()
        told.append((type(sender).__name__, kwargs.get("changes"), sorted(map(str, statuses))))

    session_changed.connect(listener, weak=False)
    series_cancelled.connect(listener, weak=False)
    yield told
    session_changed.disconnect(listener)
    series_cancelled.disconnect(listener)


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _audited(event: str) -> int:
    return db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.event == event)
    )


def test_creating_editing_and_publishing_a_series_commit_once_each(client, world, ctx, commits):
    login(client, "organizer@example.jp")
    new = f"/orgs/{world['org']}/series/new"
    assert counted_post(client, commits, new, GOOD, token_from=new).status_code == 302
    assert commits.edge == 1
    series = db.session.scalar(select(Series))
    base = f"/orgs/{world['org']}/series/{series.id}"

    edit = f"{base}/edit"
    changed = {**GOOD, "title": "しまね関係人口ゼミ 2026 秋"}
    assert counted_post(client, commits, edit, changed, token_from=edit).status_code == 302
    assert commits.edge == 1

    counted_post(client, commits, f"{base}/publish", token_from=edit)
    assert commits.edge == 1
    db.session.expire_all()
    assert (series.title, series.status) == ("しまね関係人口ゼミ 2026 秋", SeriesStatus.published)
    assert _audited("series.created") == _audited("series.updated") == 1


def test_cancelling_a_series_commits_once_and_participants_hear_of_it_after(
    client, world, ctx, commits, heard
):
    series = make_series(world["org"], sessions=[("venue", 5, None)] * 2)
    reg.register(series, create_user("hanako@example.jp"), consent=True)
    db.session.commit()
    login(client, "organizer@example.jp")
    base = f"/orgs/{world['org']}/series/{series.id}"
    counted_post(client, commits, f"{base}/cancel", token_from=f"{base}/edit")
    assert commits.edge == 1
    assert commits.after >= 1  # the mails about it: their own unit of work
    # the series first, then each session, all heard of once everything was committed
    assert [(kind, changes) for kind, changes, _ in heard] == [
        ("Series", None),
        ("Session", {"cancelled"}),
        ("Session", {"cancelled"}),
    ]
    assert all(statuses == ["cancelled", "cancelled"] for *_, statuses in heard)


def test_adding_changing_and_cancelling_a_session_commit_once_each(
    client, world, ctx, commits, heard
):
    series = make_series(world["org"], sessions=[])
    login(client, "organizer@example.jp")
    base = f"/orgs/{world['org']}/series/{series.id}"
    new = f"{base}/sessions/new"
    form = {
        "title": "第1回",
        "starts_at": "2030-08-24T13:30",
        "ends_at": "2030-08-24T17:30",
        "format": "venue",
        "venues-0-name": "松江市市民活動センター",
        "venues-0-capacity": "30",
    }
    assert counted_post(client, commits, new, form, token_from=new).status_code == 302
    assert commits.edge == 1
    session = db.session.scalar(select(Session))
    reg.register(series, create_user("hanako@example.jp"), consent=True)
    db.session.commit()

    edit = f"{base}/sessions/{session.id}/edit"
    moved = {**form, "starts_at": "2030-08-24T14:00", "venues-0-id": str(session.venues[0].id)}
    assert counted_post(client, commits, edit, moved, token_from=edit).status_code == 302
    assert commits.edge == 1 and commits.after >= 1  # the mail about the new time follows
    assert heard == [("Session", {"time"}, ["scheduled"])]

    counted_post(client, commits, f"{base}/sessions/{session.id}/cancel", token_from=edit)
    assert commits.edge == 1
    assert heard[1] == ("Session", {"cancelled"}, ["cancelled"])


def test_the_api_creates_a_series_and_its_session_with_one_commit_each(app, client, world, commits):
    headers = bearer(app, world["organizer"])
    commits.reset()
    created = client.post(
        f"/api/v1/orgs/{world['org']}/series", json={"title": "講座"}, headers=headers
    )
    assert created.status_code == 201
    assert commits.edge == 1  # the token's last use is written with it
    commits.reset()
    added = client.post(
        f"/api/v1/series/{created.json['id']}/sessions", json=SESSION, headers=headers
    )
    assert added.status_code == 201 and added.json["id"]
    assert commits.edge == 1


def test_a_change_that_fails_leaves_nothing_and_nobody_hears_of_it(
    client, world, ctx, commits, heard, monkeypatch
):
    series = make_series(world["org"], sessions=[("venue", 5, None)])
    session_id = series.sessions[0].id
    login(client, "organizer@example.jp")
    base = f"/orgs/{world['org']}/series/{series.id}"
    # flushed, audited, announced for after the commit ... then it breaks
    monkeypatch.setattr(events, "update_session", _failing_after(events.update_session))
    edit = f"{base}/sessions/{session_id}/edit"
    form = {
        "title": "第1回 変更",
        "starts_at": "2030-08-24T14:00",
        "ends_at": "2030-08-24T17:30",
        "format": "venue",
        "venues-0-name": "松江テルサ",
        "venues-0-capacity": "5",
    }
    assert counted_post(client, commits, edit, form, token_from=edit).status_code == 500
    assert commits.edge == 0 and heard == []
    db.session.expire_all()
    assert db.session.get(Session, session_id).title == "第1回"
    assert _audited("session.updated") == 0

    monkeypatch.setattr(events, "create_series", _failing_after(events.create_series))
    new = f"/orgs/{world['org']}/series/new"
    assert counted_post(client, commits, new, GOOD, token_from=new).status_code == 500
    assert commits.edge == 0
    assert _count(Series) == 1 and _audited("series.created") == 1  # only make_series's
    assert db.session.get(Session, session_id).status is SessionStatus.scheduled


def _failing_after(service):
    def fails(*args, **kwargs):
        service(*args, **kwargs)
        raise RuntimeError(f"{service.__name__} failed after writing")

    return fails
