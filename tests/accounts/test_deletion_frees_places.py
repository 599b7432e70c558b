"""Deleting an account frees the person's places in sessions not started yet (the first
person waiting gets the place and a mail), removes their free-text answers, and the audit log
says so; what they attended stays, anonymous, for the statistics."""

import csv
import io
from datetime import timedelta

from sqlalchemy import select

from app.accounts.models import User
from app.attendance.models import Attendance, AttendanceStatus
from app.audit.models import AuditEvent
from app.core.types import utcnow
from app.events import services as events
from app.extensions import db
from app.mail.models import OutgoingMail
from app.registration import services as reg
from app.registration.models import Place, PlaceStatus, RegistrationStatus
from tests.conftest import PASSWORD, create_org, create_user, login, post_form
from tests.registration.factories import make_series

ALLERGY = "そばアレルギー（重度）"


def _delete(client):
    return post_form(
        client, "/account/delete", {"password": PASSWORD}, token_from="/account/delete"
    )


def _one_seat_series(world):
    """A series of a held session and a coming one with a single seat; 花子 holds the seat
    (and wrote down an allergy), 次郎 waits for it."""
    series = make_series(world["org"], sessions=[("venue", 5, None), ("venue", 1, None)])
    events.set_questions(
        series,
        [
            {"kind": "text", "label": "アレルギー"},
            {"kind": "single", "label": "きっかけ", "options": ["SNS", "知人"]},
        ],
    )
    db.session.commit()
    text_q, choice_q = (str(q.id) for q in series.questions)
    hanako = create_user("hanako@example.jp", name="山田 花子")
    jiro = create_user("jiro@example.jp", name="佐藤 次郎", furigana="さとう じろう")
    mine = reg.register(series, hanako, consent=True, answers={text_q: ALLERGY, choice_q: "SNS"})
    theirs = reg.register(series, jiro, consent=True)
    held, coming = series.sessions
    assert [p.status for p in theirs.places] == [PlaceStatus.confirmed, PlaceStatus.waitlisted]
    # the first session took place and 花子 came
    start = utcnow() - timedelta(days=3)
    held.starts_at, held.ends_at = start, start + timedelta(hours=2)
    db.session.add(
        Attendance(
            session_id=held.id,
            user_id=hanako.id,
            registration_id=mine.id,
            mode="venue",
            status=AttendanceStatus.attended_venue,
            computed_status=AttendanceStatus.attended_venue,
        )
    )
    db.session.commit()
    return series, hanako, jiro, mine, theirs, coming


def test_deleting_an_account_gives_its_seat_to_the_first_person_waiting(app, world, ctx):
    series, hanako, _jiro, mine, theirs, coming = _one_seat_series(world)
    client = app.test_client()
    login(client, "hanako@example.jp")
    assert _delete(client).status_code == 302
    db.session.expire_all()
    held_place, coming_place = mine.places
    assert coming_place.status is PlaceStatus.cancelled
    assert held_place.status is PlaceStatus.confirmed  # history stays
    assert theirs.place_for(coming.id).status is PlaceStatus.confirmed
    assert theirs.status is RegistrationStatus.confirmed
    mail = db.session.scalars(
        select(OutgoingMail).where(OutgoingMail.recipient == "jiro@example.jp")
    ).all()[-1]
    assert series.title in mail.subject and "佐藤 次郎" in mail.body
    # attendance stays, anonymous, for the statistics
    assert db.session.scalar(select(Attendance.user_id)) == hanako.id
    seats = db.session.scalars(
        select(Place).where(Place.session_id == coming.id, Place.status == PlaceStatus.confirmed)
    ).all()
    assert [p.registration_id for p in seats] == [theirs.id]  # one seat, one person


def test_a_deleted_persons_free_text_answers_leave_the_organisers_csv(app, world, ctx):
    series, *_rest = _one_seat_series(world)
    organiser = app.test_client()
    login(organiser, "organizer@example.jp")
    csv_path = f"/orgs/{world['org']}/series/{series.id}/participants.csv?status=all"
    assert ALLERGY in post_form(organiser, csv_path).get_data().decode("utf-8-sig")
    client = app.test_client()
    login(client, "hanako@example.jp")
    assert _delete(client).status_code == 302
    rows = list(
        csv.reader(io.StringIO(post_form(organiser, csv_path).get_data().decode("utf-8-sig")))
    )
    text = "\n".join(",".join(r) for r in rows)
    assert ALLERGY not in text and "山田 花子" not in text
    assert "退会済みユーザー" in text and "SNS" in text  # the choice stays for the statistics


def test_the_audit_log_says_what_the_deletion_removed(app, world, ctx):
    _one_seat_series(world)
    client = app.test_client()
    login(client, "hanako@example.jp")
    assert _delete(client).status_code == 302
    deleted = db.session.scalar(select(AuditEvent).where(AuditEvent.event == "account.deleted"))
    assert deleted.details == {
        "registrations_released": 1,
        "people_promoted": 1,
        "answers_removed": 1,
        "certificate_names_removed": 0,
        "survey_texts_removed": 0,
        "record_links_withdrawn": 0,
    }
    released = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.event == "registration.cancelled", AuditEvent.org_id == world["org"]
        )
    )
    assert released.details["reason"] == "account_deleted"


def test_a_refused_deletion_frees_nothing(app, world, ctx):
    _series, hanako, _jiro, mine, theirs, coming = _one_seat_series(world)
    create_org("雲南市", owner=db.session.get(User, hanako.id))
    client = app.test_client()
    login(client, "hanako@example.jp")
    assert "雲南市" in _delete(client).get_data(as_text=True)
    db.session.expire_all()
    assert mine.place_for(coming.id).status is PlaceStatus.confirmed
    assert theirs.place_for(coming.id).status is PlaceStatus.waitlisted
    assert mine.answers and db.session.get(User, hanako.id).deleted_at is None
