"""A person's survey answers in their personal-data download, and what deleting the account
removes: named answers are theirs in full; of an anonymous survey only the fact that they
answered is theirs; free text goes with the account, choices stay for the statistics."""

import json

from sqlalchemy import select

from app.accounts import services as accounts
from app.accounts.models import User
from app.extensions import db
from app.surveys import respond, services
from app.surveys.models import SurveyAnswer
from tests.conftest import PASSWORD, login
from tests.surveys.conftest import make_survey
from tests.surveys.test_services import _answers


def _download(app, email) -> dict:
    client = app.test_client()
    login(client, email)
    response = client.get("/me/data.json")
    assert response.status_code == 200
    return json.loads(response.get_data(as_text=True))


def test_named_answers_are_in_the_download_and_anonymous_ones_are_not(app, finished):
    series_id, session_id, people = finished
    with app.app_context():
        named = make_survey(series_id, session_id)
        anonymous = make_survey(series_id, session_id, anonymous=True)
        services.send(named)
        services.send(anonymous)
        db.session.commit()
        respond.submit(named, people["venue"], _answers(named, 5, "記名の感想です"))
        respond.submit(anonymous, people["venue"], _answers(anonymous, 3, "匿名の感想です"))
        db.session.commit()
        email = db.session.get(User, people["venue"]).email
        named_id, anonymous_id = named.id, anonymous.id

    document = _download(app, email)
    mine = document["surveys"]
    assert {r["survey_id"]: r["responded"] for r in mine["received"]} == {
        named_id: True,
        anonymous_id: True,
    }
    assert [r["survey_id"] for r in mine["named_answers"]] == [named_id]
    texts = [a["text"] for a in mine["named_answers"][0]["answers"] if a["text"]]
    assert texts == ["記名の感想です"]
    assert "匿名の感想です" not in json.dumps(document, ensure_ascii=False)


def test_deleting_the_account_removes_named_free_text_and_keeps_the_choices(app, finished):
    series_id, session_id, people = finished
    with app.app_context():
        survey = make_survey(series_id, session_id)
        services.send(survey)
        db.session.commit()
        respond.submit(survey, people["venue"], _answers(survey, 4, "名前の分かる感想"))
        respond.submit(survey, people["online"], _answers(survey, 2, "残る感想"))
        db.session.commit()
        accounts.delete_account(db.session.get(User, people["venue"]), PASSWORD)
        db.session.commit()
        texts = set(db.session.scalars(select(SurveyAnswer.text)).all()) - {""}
        assert texts == {"残る感想"}  # the other person's answer is theirs to keep
        choices = db.session.scalars(
            select(SurveyAnswer.choice).where(SurveyAnswer.choice.is_not(None))
        ).all()
        assert 4 in choices and 2 in choices  # the statistics keep both people's scales
