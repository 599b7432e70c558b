"""The surveys tests' shared fixture: a finished session with one person of each outcome
(tests/attendance/helpers.py), its attendance computed."""

import pytest
from sqlalchemy import select

from app.attendance import services as attendance
from app.events.models import Session
from app.extensions import db
from app.mail.models import OutgoingMail
from app.surveys import services as surveys
from tests.attendance.helpers import past  # noqa: F401 -- a finished session, one of each


@pytest.fixture
def finished(app, past):  # noqa: F811
    """(series id, session id, people by role) with the session's attendance computed."""
    series_id, session_id, people = past
    with app.app_context():
        attendance.compute_session(db.session.get(Session, session_id))
        db.session.commit()
    return series_id, session_id, people


def make_survey(
    series_id, session_id, *, anonymous=False, partial=False, archive=False, sets=True, text=True
):
    """A survey of the session with the 関係人口 set and a free-text question (not sent)."""
    session = db.session.get(Session, session_id)
    survey = surveys.create_survey(session.series, session, "第1回 事後アンケート")
    surveys.update_settings(
        survey, anonymous=anonymous, to_venue=True, to_online=True, to_partial=partial,
        to_archive=archive, open_days=14,
    )  # fmt: skip
    if sets:
        surveys.add_kakawari_set(survey)
    if text:
        surveys.add_question(survey, "text", "ご意見・ご感想")
    surveys.add_question(survey, "multiple", "どこで知りましたか", "SNS\n知人\n市報")
    db.session.commit()
    return survey


def mails_to(address):
    """The survey mails queued for this address."""
    return db.session.scalars(
        select(OutgoingMail)
        .where(OutgoingMail.recipient == address, OutgoingMail.body.contains("/surveys/r/"))
        .order_by(OutgoingMail.id)
    ).all()


def link_in(mail) -> str:
    """The personal link's path in a survey mail."""
    for word in mail.body.split():
        if "/surveys/r/" in word:
            return word[word.index("/surveys/r/") :]
    raise AssertionError("no survey link in the mail")
