"""Live room rules at the service level: who enters, presence time, chat, Q&A, polls. The
services only flush; a test commits where the socket event would."""

from datetime import UTC, datetime, timedelta

import pytest

from app.accounts.models import User
from app.core.errors import (
    Conflict,
    Muted,
    NotRegisteredOnline,
    PermissionDenied,
    RoomClosed,
    ValidationFailed,
)
from app.core.types import utcnow
from app.extensions import db
from app.live import payloads, presence
from app.live import services as live
from app.registration import services as reg
from tests.conftest import create_user
from tests.registration.factories import make_series


def room(world, starts_in=timedelta(minutes=5)):
    series = make_series(world["org"], sessions=[("hybrid", 5, 5)])
    session = series.sessions[0]
    session.starts_at = utcnow() + starts_in
    session.ends_at = session.starts_at + timedelta(hours=2)
    db.session.commit()
    return session


def online_viewer(session, email="online@example.jp"):
    user = create_user(email)
    reg.register(session.series, user, mode="online", consent=True)
    return live.admit(session, user)


def test_who_may_enter(world, ctx):
    session = room(world)
    viewer = online_viewer(session)
    assert viewer.role.value == "participant"
    venue_person = create_user("venue@example.jp")
    reg.register(session.series, venue_person, mode="venue", consent=True)
    with pytest.raises(NotRegisteredOnline):
        live.admit(session, venue_person)
    with pytest.raises(NotRegisteredOnline):
        live.admit(session, create_user("stranger@example.jp"))
    with pytest.raises(NotRegisteredOnline):  # venue staff work at the door, not in the room
        live.admit(session, db.session.get(User, world["staff"]))
    assert live.admit(session, db.session.get(User, world["organizer"])).role.value == "organizer"
    with pytest.raises(NotRegisteredOnline):
        live.admit(session, db.session.get(User, world["other"]))  # another organisation


def test_room_opens_15_minutes_before_and_closes_30_after(world, ctx):
    session = room(world, starts_in=timedelta(minutes=20))
    user = create_user()
    reg.register(session.series, user, mode="online", consent=True)
    with pytest.raises(RoomClosed):
        live.admit(session, user)
    assert live.admit(session, user, now=session.starts_at - timedelta(minutes=15))
    assert live.admit(session, user, now=session.ends_at + timedelta(minutes=30))
    with pytest.raises(RoomClosed):
        live.admit(session, user, now=session.ends_at + timedelta(minutes=31))


def test_merge_presence_intervals_counts_tabs_and_reconnects_once():
    t = datetime(2026, 8, 24, 4, 0, tzinfo=UTC)
    m = timedelta(minutes=1)
    merged = presence.merge_presence_intervals(
        [
            (t, t + 30 * m),
            (t + 10 * m, t + 20 * m),
            (t + 30 * m, t + 40 * m),
            (t + 50 * m, t + 60 * m),
        ]
    )
    assert merged == [(t, t + 40 * m), (t + 50 * m, t + 60 * m)]
    assert presence.seconds_in(merged, t + 35 * m, t + 55 * m) == 10 * 60


def test_presence_is_per_person_across_sockets_and_stale_sockets_close_at_last_seen(world, ctx):
    session = room(world)
    viewer = online_viewer(session)
    now = utcnow()
    presence.connect(session.id, viewer.user.id, "sid-a", "host:1", now=now - timedelta(minutes=10))
    presence.connect(session.id, viewer.user.id, "sid-b", "host:2", now=now - timedelta(minutes=5))
    assert presence.present_user_ids(session.id, now=now - timedelta(minutes=4)) == [viewer.user.id]
    presence.disconnect("sid-a", "host:1", now=now - timedelta(minutes=2))
    # process 2 crashed 3 minutes ago: its socket was last seen then
    presence.heartbeat(["sid-b"], "host:2", now=now - timedelta(minutes=3))
    assert presence.close_stale(now=now) == 1
    spans = presence.intervals_by_user(session.id, now=now)[viewer.user.id]
    assert spans == [(now - timedelta(minutes=10), now - timedelta(minutes=2))]
    assert presence.present_user_ids(session.id, now=now) == []


def test_a_big_room_lists_the_first_names_to_participants_and_everyone_to_organisers(world, ctx):
    session = room(world)
    viewer = online_viewer(session)
    people = [
        create_user(f"here{i:03d}@example.jp", name=f"参加 {i}", furigana=f"さんか {i:03d}")
        for i in range(payloads.PEOPLE_LISTED + 4)
    ]
    for i, user in enumerate([viewer.user, *people]):
        presence.connect(session.id, user.id, f"sid-{i}", "host:1")
    seen = payloads.presence_payload(session, viewer)
    assert seen["count"] == payloads.PEOPLE_LISTED + 5
    assert len(seen["people"]) == payloads.PEOPLE_LISTED and seen["more"] == 5
    organizer = live.admit(session, db.session.get(User, world["organizer"]))
    everyone = payloads.presence_payload(session, organizer)
    assert len(everyone["people"]) == payloads.PEOPLE_LISTED + 5 and everyone["more"] == 0


def test_chat_moderation_and_hidden_names(world, ctx):
    session = room(world)
    alice = online_viewer(session, "alice@example.jp")
    bob = online_viewer(session, "bob@example.jp")
    organizer = live.admit(session, db.session.get(User, world["organizer"]))
    live.set_hide_name(session, alice, True)
    message = live.post_chat(session, alice, "  <b>こんにちは</b>  ")
    assert message.text == "<b>こんにちは</b>"  # stored as typed; escaped when rendered
    state_for_bob = payloads.snapshot(session, bob)
    assert state_for_bob["chat"][0]["user"] == {"id": None, "name": "参加者"}
    assert payloads.snapshot(session, organizer)["chat"][0]["user"]["name"] == "山田 花子"
    with pytest.raises(PermissionDenied):
        live.delete_chat(session, bob, message.id)
    live.delete_chat(session, organizer, message.id)
    assert payloads.snapshot(session, bob)["chat"] == []
    live.set_muted(session, organizer, bob.user.id, True)
    with pytest.raises(Muted):
        live.post_chat(session, bob, "hello")
    for bad in ("", "   ", "x" * 1001, None, 42, "a\x00b"):
        with pytest.raises(ValidationFailed):
            live.post_chat(session, alice, bad)


def test_questions_vote_once_sorted_anonymous_to_participants_only(world, ctx):
    session = room(world)
    alice, bob, carol = (online_viewer(session, f"{n}@example.jp") for n in ("a", "b", "c"))
    organizer = live.admit(session, db.session.get(User, world["organizer"]))
    q1 = live.ask(session, alice, "資料はもらえますか？")
    q2 = live.ask(session, bob, "移住の相談窓口は？", anonymous=True)
    live.upvote(session, carol, q2.id)
    live.upvote(session, alice, q2.id)
    db.session.commit()  # as each socket event does: the refused vote below rolls back its own
    with pytest.raises(Conflict):
        live.upvote(session, alice, q2.id)
    state = payloads.snapshot(session, carol)
    assert [(q["id"], q["votes"]) for q in state["questions"]] == [(q2.id, 2), (q1.id, 0)]
    assert state["questions"][0]["user"]["name"] == "匿名" and state["questions"][0]["voted"]
    assert payloads.snapshot(session, organizer)["questions"][0]["user"]["id"] == bob.user.id
    live.mark_answered(session, organizer, q1.id)
    live.hide_question(session, organizer, q2.id)
    assert [q["answered"] for q in payloads.snapshot(session, carol)["questions"]] == [True]


def test_polls_open_one_at_a_time_and_results_count_each_person_once(world, ctx):
    session = room(world)
    alice, bob = online_viewer(session, "a@example.jp"), online_viewer(session, "b@example.jp")
    organizer = live.admit(session, db.session.get(User, world["organizer"]))
    with pytest.raises(PermissionDenied):
        live.create_poll(session, alice, "Q?", ["a", "b"])
    poll = live.create_poll(session, organizer, "どこから参加？", ["東京", "大阪", "島根"])
    with pytest.raises(Conflict):
        live.vote_poll(session, alice, poll.id, [0])  # not open yet
    live.open_poll(session, organizer, poll.id)
    live.vote_poll(session, alice, poll.id, [0])
    live.vote_poll(session, alice, poll.id, [2])  # changed their mind
    live.vote_poll(session, bob, poll.id, 2)
    with pytest.raises(ValidationFailed):
        live.vote_poll(session, bob, poll.id, [0, 1])  # single choice
    with pytest.raises(ValidationFailed):
        live.vote_poll(session, bob, poll.id, [7])
    assert payloads.poll_results(poll) == {"voters": 2, "counts": [0, 0, 2]}
    second = live.create_poll(session, organizer, "満足度", ["高", "低"], multiple=True)
    live.open_poll(session, organizer, second.id)
    db.session.refresh(poll)
    assert poll.status == "closed"
    assert [p["id"] for p in payloads.snapshot(session, alice)["polls"]] == [second.id]


def test_announcement_is_pinned_then_cleared(world, ctx):
    session = room(world)
    alice = online_viewer(session)
    organizer = live.admit(session, db.session.get(User, world["organizer"]))
    with pytest.raises(PermissionDenied):
        live.announce(session, alice, "hi")
    live.announce(session, organizer, "10分休憩します")
    assert payloads.snapshot(session, alice)["announcement"] == "10分休憩します"
    live.announce(session, organizer, "")
    assert payloads.snapshot(session, alice)["announcement"] is None


def test_stream_info_embeds_youtube_and_links_the_rest():
    yt = payloads.stream_info("https://www.youtube.com/watch?v=abcDEF12345")
    assert yt["embed_url"] == "https://www.youtube-nocookie.com/embed/abcDEF12345"
    assert payloads.stream_info("https://youtu.be/abcDEF12345")["kind"] == "youtube"
    assert payloads.stream_info("https://us02web.zoom.us/j/123")["kind"] == "zoom"
    assert payloads.stream_info("https://meet.jit.si/room")["kind"] == "jitsi"
    assert payloads.stream_info("") is None
