"""Every event the brief names reaches a real receiver, with the subject's events in the order
they happened; only the endpoint's chosen events, only its own organisation's."""

from sqlalchemy import func, select

from app.accounts.models import User
from app.attendance import certificates
from app.attendance import services as attendance
from app.attendance.models import Attendance
from app.checkin import services as checkin
from app.core.errors import NotFound
from app.events import services as events
from app.extensions import db
from app.registration import services as reg
from app.registration.cancelling import cancel
from app.webhooks import sender
from app.webhooks.models import WebhookDelivery
from tests.attendance.test_history import completed_online_series
from tests.checkin.helpers import series_happening_now
from tests.conftest import create_user
from tests.registration.factories import make_series
from tests.webhooks.conftest import add_endpoint


def _by_subject(receiver) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for r in receiver.received:
        event = r["json"]
        data = event["data"]
        key = next(k for k in ("registration", "checkin", "session", "certificate") if k in data)
        ident = data[key]["registration_id"] if key == "checkin" else data[key]["id"]
        found.setdefault(f"{'registration' if key == 'checkin' else key}:{ident}", []).append(
            event["type"]
        )
    return found


def test_registration_and_session_events_in_order(app, ctx, world, receiver):
    add_endpoint(world["org"], receiver.url)
    series = make_series(world["org"], sessions=(("venue", 1, None),))
    session = series.sessions[0]
    first = reg.register(series, create_user("a@example.jp"), consent=True)
    db.session.commit()
    second = reg.register(series, create_user("b@example.jp"), consent=True)
    db.session.commit()
    cancel(first)
    db.session.commit()
    events.update_session(session, None, {"venue_capacity": 3})
    db.session.commit()
    events.cancel_session(session, None)
    db.session.commit()
    sender.drain()

    got = _by_subject(receiver)
    assert got[f"registration:{first.id}"] == ["registration.confirmed", "registration.cancelled"]
    assert got[f"registration:{second.id}"][:2] == [
        "registration.waitlisted",
        "registration.promoted",
    ]
    assert got[f"session:{session.id}"] == ["session.changed", "session.cancelled"]
    promoted = next(r["json"] for r in receiver.received if r["json"]["type"].endswith("promoted"))
    assert promoted["data"]["registration"]["places"] == [
        {"session_id": session.id, "mode": "venue", "status": "confirmed"}
    ]
    ids = [r["json"]["id"] for r in receiver.received]
    assert len(ids) == len(set(ids))


def test_check_in_made_and_undone(app, ctx, world, receiver):
    add_endpoint(world["org"], receiver.url, ["checkin.created", "checkin.undone"])
    series = series_happening_now(world["org"])
    session = series.sessions[0]
    registration = reg.register(series, create_user("c@example.jp"), mode="venue", consent=True)
    db.session.commit()
    staff = db.session.get(User, world["staff"])
    verdict = checkin.decide(session, staff, registration=registration)
    db.session.commit()
    checkin.undo(verdict.checkin, staff)
    db.session.commit()
    sender.drain()

    assert receiver.types() == ["checkin.created", "checkin.undone"]  # none of the registration's
    made = receiver.received[0]["json"]["data"]["checkin"]
    assert (made["session_id"], made["registration_id"]) == (session.id, registration.id)


def test_attendance_final_and_certificate_issued_then_withdrawn(app, ctx, world, receiver):
    add_endpoint(
        world["org"],
        receiver.url,
        ["attendance.finalised", "certificate.issued", "certificate.withdrawn"],
    )
    add_endpoint(world["other_org"], receiver.url + "/other")  # another organisation's
    person = db.session.get(User, world["participant"])
    series = completed_online_series(world["org"], person)
    certificate, _found = certificates.issue(person, series)
    db.session.commit()
    record = db.session.scalar(
        select(Attendance).where(
            Attendance.session_id == series.sessions[1].id, Attendance.user_id == person.id
        )
    )
    attendance.override(record, "absent", "接続記録の誤り", db.session.get(User, world["owner"]))
    db.session.commit()
    try:
        certificates.issue(person, series)
    except NotFound:
        db.session.commit()  # the withdrawal stands, as the download view does
    sender.drain()

    assert receiver.types() == [
        "attendance.finalised",
        "attendance.finalised",
        "certificate.issued",
        "certificate.withdrawn",
    ]
    assert {r["json"]["data"]["session"]["id"] for r in receiver.received[:2]} == {
        s.id for s in series.sessions
    }
    withdrawn = receiver.received[3]["json"]["data"]["certificate"]
    assert withdrawn["id"] == certificate.id and withdrawn["withdrawn"] is True
    assert all(r["json"]["organisation"]["id"] == world["org"] for r in receiver.received)
    assert db.session.scalar(select(func.count()).select_from(WebhookDelivery)) == 4
