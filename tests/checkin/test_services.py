"""decide(): the one function that says whether a ticket admits someone to a session."""

from datetime import timedelta

from sqlalchemy import select

from app.checkin import services as checkin
from app.checkin.models import CheckIn, Ticket
from app.core.secrets import hash_secret
from app.core.types import utcnow
from app.events import services as events
from app.extensions import db
from app.orgs.models import Organization
from app.registration import services as reg
from app.registration.models import Registration
from tests.checkin.helpers import series_happening_now
from tests.conftest import create_user
from tests.registration.factories import make_series


def staff_user(world):
    from app.accounts.models import User

    return db.session.get(User, world["staff"])


def registered(series, email, mode="venue", **kw):
    r = reg.register(series, create_user(email), mode=mode, consent=True, **kw)
    return db.session.get(Registration, r.id)


def test_confirmed_registrations_get_a_ticket_and_waiting_ones_do_not(world, ctx):
    series = series_happening_now(world["org"], sessions=[("venue", 1, None)])
    first = registered(series, "a@example.jp")
    second = registered(series, "b@example.jp")
    assert checkin.valid_ticket(first) is not None
    assert checkin.valid_ticket(second) is None
    secret = checkin.valid_ticket(first).secret
    assert len(secret) >= 27  # 160 random bits
    reg.cancel(first)
    db.session.expire_all()
    assert checkin.valid_ticket(db.session.get(Registration, first.id)) is None
    assert checkin.valid_ticket(db.session.get(Registration, second.id)) is not None  # promoted


def test_green_yellow_and_idempotent_by_nonce(world, ctx):
    series = series_happening_now(world["org"])
    r = registered(series, "a@example.jp")
    session, staff = series.sessions[0], staff_user(world)
    secret = checkin.valid_ticket(r).secret
    ok = checkin.decide(session, staff, secret=secret, nonce="n1", device_id="phone-1")
    assert ok.status == "ok" and ok.to_dict()["registration"]["name"] == "山田 花子"
    again = checkin.decide(session, staff, secret=secret, nonce="n1")
    assert again.status == "ok" and again.checkin.id == ok.checkin.id  # same nonce, same answer
    second = checkin.decide(session, staff, secret=secret, nonce="n2")
    assert second.status == "already_checked_in"
    assert second.to_dict()["checked_in_by"] == "福間 さくら"
    assert db.session.scalar(select(db.func.count()).select_from(CheckIn)) == 1


def test_every_rejection_has_its_reason(world, ctx):
    series = series_happening_now(world["org"], sessions=[("venue", 1, None), ("venue", 5, None)])
    now_session, later_session = series.sessions
    staff = staff_user(world)
    holder = registered(series, "a@example.jp")
    waiting = registered(series, "b@example.jp")
    secret = checkin.valid_ticket(holder).secret

    def reason(**kw):
        verdict = checkin.decide(kw.pop("session", now_session), staff, **kw)
        return verdict.status, verdict.reason and verdict.reason.value

    assert reason(secret="not a ticket!") == ("rejected", "unreadable")
    assert reason(secret="A" * 27) == ("rejected", "unknown_ticket")
    assert reason(secret=secret, session=later_session) == ("rejected", "too_early")
    # the waiting person is let in nowhere, even by hand
    assert reason(registration=waiting) == ("rejected", "waitlisted")

    other_org = db.session.get(Organization, world["other_org"])
    elsewhere = make_series(other_org.id, sessions=[("venue", 5, None)])
    foreign = registered(elsewhere, "c@example.jp")
    assert reason(secret=checkin.valid_ticket(foreign).secret) == ("rejected", "other_org")

    old_secret = secret
    new = checkin.reissue_ticket(holder)
    db.session.commit()
    assert new.secret != old_secret
    assert reason(secret=old_secret) == ("rejected", "revoked")

    only_later = make_series(
        world["org"], scope="session", sessions=[("venue", 5, None), ("venue", 5, None)]
    )
    r2 = reg.register(
        only_later,
        create_user("d@example.jp"),
        consent=True,
        session_ids=[only_later.sessions[1].id],
    )
    first = only_later.sessions[0]
    first.starts_at = utcnow() + timedelta(minutes=10)
    db.session.commit()
    r2 = db.session.get(Registration, r2.id)
    verdict = checkin.decide(first, staff, secret=checkin.valid_ticket(r2).secret)
    assert (verdict.status, verdict.reason.value) == ("rejected", "not_registered")

    reg.cancel(db.session.get(Registration, holder.id))
    assert reason(secret=new.secret) == ("rejected", "cancelled")


def test_session_over_or_cancelled_is_refused(world, ctx):
    series = series_happening_now(world["org"])
    r = registered(series, "a@example.jp")
    session, staff = series.sessions[0], staff_user(world)
    secret = checkin.valid_ticket(r).secret
    session.starts_at, session.ends_at = (
        utcnow() - timedelta(hours=3),
        utcnow() - timedelta(hours=1),
    )
    db.session.commit()
    assert checkin.decide(session, staff, secret=secret).reason.value == "closed"
    # a scan queued offline while the session was on still counts
    during = checkin.decide(session, staff, secret=secret, scanned_at=utcnow() - timedelta(hours=2))
    assert during.status == "ok"
    events.cancel_session(session, None)
    db.session.commit()
    verdict = checkin.decide(session, staff, secret=secret, nonce="after-cancel")
    assert verdict.reason.value == "session_cancelled"


def test_online_registrant_at_the_door_is_let_in_and_becomes_venue(world, ctx):
    series = series_happening_now(world["org"], sessions=[("hybrid", 5, 1)])
    online = registered(series, "a@example.jp", mode="online")
    waiting_online = registered(series, "b@example.jp", mode="online")
    session = series.sessions[0]
    verdict = checkin.decide(session, staff_user(world), secret=checkin.valid_ticket(online).secret)
    assert verdict.status == "ok" and verdict.warning == "registered_online"
    db.session.commit()  # the edge's one commit; the listeners follow it
    db.session.expire_all()
    assert db.session.get(Registration, online.id).places[0].mode.value == "venue"
    assert db.session.get(Registration, waiting_online.id).status.value == "confirmed"


def test_offline_scan_keeps_its_time_and_a_second_phone_is_flagged(world, ctx):
    series = series_happening_now(world["org"])
    r = registered(series, "a@example.jp")
    session, staff = series.sessions[0], staff_user(world)
    secret = checkin.valid_ticket(r).secret
    scanned = utcnow() - timedelta(minutes=3)
    first = checkin.decide(
        session,
        staff,
        secret=secret,
        nonce="phone-a-1",
        scanned_at=scanned,
        source="offline",
        admitted_offline=True,
    )
    assert first.status == "ok"
    assert abs((first.checkin.checked_in_at - scanned).total_seconds()) < 1
    second = checkin.decide(
        session,
        staff,
        secret=secret,
        nonce="phone-b-1",
        scanned_at=scanned + timedelta(seconds=20),
        source="offline",
        admitted_offline=True,
    )
    assert second.status == "already_checked_in" and second.duplicate
    # the queue is sent again: nothing new
    checkin.decide(session, staff, secret=secret, nonce="phone-b-1", admitted_offline=True)
    rows = db.session.scalars(select(CheckIn).order_by(CheckIn.id)).all()
    assert [(c.nonce, c.duplicate_of_id) for c in rows] == [
        ("phone-a-1", None),
        ("phone-b-1", rows[0].id),
    ]
    assert checkin.status(session) == {
        "expected": 1,
        "checked_in": 1,
        "duplicates": 1,
        "came_instead_of_online": 0,
        "from_other_venues": 0,
    }


def test_a_future_device_clock_is_not_trusted(world, ctx):
    series = series_happening_now(world["org"])
    r = registered(series, "a@example.jp")
    future = utcnow() + timedelta(hours=5)
    verdict = checkin.decide(
        series.sessions[0],
        staff_user(world),
        secret=checkin.valid_ticket(r).secret,
        scanned_at=future,
    )
    assert verdict.status == "ok" and verdict.checkin.checked_in_at < future


def test_undo_then_check_in_again(world, ctx):
    series = series_happening_now(world["org"])
    r = registered(series, "a@example.jp")
    session, staff = series.sessions[0], staff_user(world)
    first = checkin.decide(session, staff, registration=r, source="manual")
    checkin.undo(first.checkin, staff)
    db.session.commit()
    assert checkin.status(session)["checked_in"] == 0
    assert checkin.decide(session, staff, registration=r, source="manual").status == "ok"


def test_answers_marked_for_check_in_are_shown(world, ctx):
    series = series_happening_now(world["org"])
    events.set_questions(
        series,
        [
            {"kind": "text", "label": "アレルギー", "show_at_checkin": True},
            {"kind": "text", "label": "ひとこと"},
        ],
    )
    db.session.commit()
    q1, q2 = (str(q.id) for q in series.questions)
    r = registered(series, "a@example.jp", answers={q1: "そば", q2: "よろしく"})
    verdict = checkin.decide(series.sessions[0], staff_user(world), registration=r)
    assert verdict.answers == [{"label": "アレルギー", "value": "そば"}]


def test_offline_list_has_hashes_not_secrets_and_search_stays_in_the_session(world, ctx):
    series = series_happening_now(world["org"])
    r = registered(series, "a@example.jp")
    create_user("stranger@example.jp", name="山田 太郎", furigana="やまだ たろう")
    session = series.sessions[0]
    listing = checkin.offline_list(session)
    secret = checkin.valid_ticket(r).secret
    assert listing == [
        {
            "hash": hash_secret(secret),
            "registration_id": r.id,
            "name": "山田 花子",
            "furigana": "やまだ はなこ",
            "mode": "venue",
            "status": "confirmed",
            "checked_in": False,
        }
    ]
    assert secret not in str(listing)
    assert [x.id for x in checkin.search(session, "やまだ")] == [r.id]
    assert [x.id for x in checkin.search(session, "や")] == [r.id]  # one character is enough
    assert [x.id for x in checkin.search(session, "ヤマダ ハナ")] == [r.id]  # katakana, spaces
    assert checkin.search(session, "%%") == checkin.search(session, "__") == []  # literal
    assert checkin.search(session, "a@example") == []  # a part of an email finds nobody
    assert [x.id for x in checkin.search(session, " A@Example.JP ")] == [r.id]  # a whole one
    assert db.session.scalar(select(db.func.count()).select_from(Ticket)) == 1
