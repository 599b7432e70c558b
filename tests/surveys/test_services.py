"""The survey's rules: who it is sent to, one response per person, anonymity kept in the
database, the link's signature and expiry, and the survey's window."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.core.errors import ValidationFailed
from app.core.types import utcnow
from app.extensions import db
from app.surveys import respond, services
from app.surveys.errors import (
    AlreadyAnswered,
    NotRecipient,
    SurveyClosed,
    SurveyLinkInvalid,
    SurveyLocked,
)
from app.surveys.links import link_token, read_token
from app.surveys.models import AttendedAs, SurveyRecipient, SurveyResponse
from tests.surveys.conftest import mails_to, make_survey


def _answers(survey, scale=5, text="とても良かった"):
    found = {}
    for q in survey.questions:
        if q.kind.value == "scale":
            found[q.id] = scale
        elif q.kind.value == "text":
            found[q.id] = text
        else:
            found[q.id] = [0, 2]
    return found


def test_sent_to_those_whose_attendance_matches_with_a_personal_link(app, finished):
    series_id, session_id, people = finished
    with app.app_context():
        survey = make_survey(series_id, session_id)
        assert services.send(survey) == 2
        db.session.commit()
        sent = {r.user_id: r.attended_as for r in db.session.scalars(select(SurveyRecipient))}
        assert sent == {people["venue"]: AttendedAs.venue, people["online"]: AttendedAs.online}
        venue = db.session.get(User, people["venue"])
        (mail,) = mails_to(venue.email)
        assert "/surveys/r/" in mail.body
        absent = db.session.get(User, people["absent"])
        assert mails_to(absent.email) == []


def test_partial_attendance_is_included_when_chosen(app, finished):
    series_id, session_id, people = finished
    with app.app_context():
        survey = make_survey(series_id, session_id, partial=True)
        services.send(survey)
        db.session.commit()
        recipients = set(db.session.scalars(select(SurveyRecipient.user_id)))
        assert recipients == {people["venue"], people["online"], people["partial"]}


def test_anonymity_and_audience_are_locked_once_sent(app, finished):
    series_id, session_id, _people = finished
    with app.app_context():
        survey = make_survey(series_id, session_id)
        services.send(survey)
        db.session.commit()
        with pytest.raises(SurveyLocked):
            services.update_settings(survey, anonymous=True, to_venue=True, to_online=True,
                                     to_partial=False, open_days=14)  # fmt: skip
        with pytest.raises(SurveyLocked):
            services.add_question(survey, "text", "あとから")


def test_not_sent_before_the_session_is_over(app, world):
    from tests.registration.factories import make_series

    with app.app_context():
        series = make_series(world["org"])
        survey = services.create_survey(series, series.sessions[0], "まだ")
        services.add_kakawari_set(survey)
        with pytest.raises(ValidationFailed):
            services.send(survey)


def test_one_response_per_person_named_and_editable_until_closed(app, finished):
    series_id, session_id, people = finished
    with app.app_context():
        survey = make_survey(series_id, session_id)
        services.send(survey)
        db.session.commit()
        respond.submit(survey, people["venue"], _answers(survey, 5))
        db.session.commit()
        respond.submit(survey, people["venue"], _answers(survey, 2, "変更しました"))
        db.session.commit()
        responses = db.session.scalars(select(SurveyResponse)).all()
        assert len(responses) == 1
        assert responses[0].user_id == people["venue"]
        mine = respond.current_answers(respond.own_response(survey, people["venue"]))
        assert mine[survey.questions[0].id] == [2]
        services.close(survey)
        db.session.commit()
        with pytest.raises(SurveyClosed):
            respond.submit(survey, people["venue"], _answers(survey, 4))


def test_the_database_refuses_a_second_named_response(app, finished):
    series_id, session_id, people = finished
    with app.app_context():
        survey = make_survey(series_id, session_id)
        services.send(survey)
        db.session.commit()
        respond.submit(survey, people["venue"], _answers(survey))
        db.session.commit()
        db.session.add(SurveyResponse(survey_id=survey.id, user_id=people["venue"],
                                      attended_as=AttendedAs.venue))  # fmt: skip
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_anonymous_survey_keeps_no_link_between_person_and_answers(app, finished):
    series_id, session_id, people = finished
    with app.app_context():
        survey = make_survey(series_id, session_id, anonymous=True)
        services.send(survey)
        db.session.commit()
        respond.submit(survey, people["online"], _answers(survey, 4, "匿名の感想"))
        db.session.commit()
        # straight from the tables: the response has no person and no time, the recipient row
        # only says that the person responded (no time to match with the responses' order)
        rows = db.session.execute(
            text("SELECT user_id, submitted_at, updated_at, attended_as FROM survey_response")
        ).all()
        assert rows == [(None, None, None, "online")]
        recipient = db.session.execute(
            text("SELECT responded, responded_at FROM survey_recipient WHERE user_id = :u"),
            {"u": people["online"]},
        ).one()
        assert bool(recipient[0]) is True and recipient[1] is None
        assert respond.own_response(survey, people["online"]) is None
        with pytest.raises(AlreadyAnswered):
            respond.submit(survey, people["online"], _answers(survey, 1))
        assert db.session.scalar(select(func.count()).select_from(SurveyResponse)) == 1


def test_only_recipients_answer_and_answers_are_checked(app, finished):
    series_id, session_id, people = finished
    with app.app_context():
        survey = make_survey(series_id, session_id)
        services.send(survey)
        db.session.commit()
        with pytest.raises(NotRecipient):
            respond.submit(survey, people["absent"], _answers(survey))
        bad = _answers(survey)
        bad[survey.questions[0].id] = 9
        bad[survey.questions[1].id] = None  # required
        with pytest.raises(ValidationFailed) as caught:
            respond.submit(survey, people["venue"], bad)
        assert set(caught.value.fields) == {f"q{survey.questions[0].id}",
                                            f"q{survey.questions[1].id}"}  # fmt: skip


def test_the_survey_closes_at_its_time(app, finished):
    series_id, session_id, people = finished
    with app.app_context():
        survey = make_survey(series_id, session_id)
        services.send(survey)
        db.session.commit()
        later = utcnow() + timedelta(days=15)
        with pytest.raises(SurveyClosed):
            respond.submit(survey, people["venue"], _answers(survey), now=later)


def test_link_signature_and_expiry(app):
    with app.test_request_context():
        token = link_token(7, 11)
        assert read_token(token) == (7, 11)
        with pytest.raises(SurveyLinkInvalid):
            read_token(token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
        app.config["SECRET_KEY"], key = "another", app.config["SECRET_KEY"]
        try:
            with pytest.raises(SurveyLinkInvalid):
                read_token(token)
        finally:
            app.config["SECRET_KEY"] = key
        with pytest.raises(SurveyLinkInvalid):
            read_token(token, max_age=-1)


def test_one_reminder_to_those_who_have_not_answered(app, finished):
    series_id, session_id, people = finished
    with app.app_context():
        survey = make_survey(series_id, session_id)
        services.send(survey)
        db.session.commit()
        respond.submit(survey, people["venue"], _answers(survey))
        assert services.remind(survey) == 1
        db.session.commit()
        online = db.session.get(User, people["online"])
        venue = db.session.get(User, people["venue"])
        assert len(mails_to(online.email)) == 2 and len(mails_to(venue.email)) == 1
        with pytest.raises(ValidationFailed):
            services.remind(survey)
