"""The surveys API: the definition for organisers and recipients, the responses (paged) for
organisers, and the person's own answers; stable error codes."""

from sqlalchemy import select

from app.accounts.models import User
from app.accounts.services import create_api_token
from app.extensions import db
from app.surveys import services
from app.surveys.models import SurveyResponse
from tests.surveys.conftest import make_survey


def _token(user_id):
    _t, secret = create_api_token(db.session.get(User, user_id), "test")
    db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def _sent(app, finished, **kwargs):
    series_id, session_id, people = finished
    with app.app_context():
        survey = make_survey(series_id, session_id, **kwargs)
        services.send(survey)
        db.session.commit()
        questions = {q.kind.value: q.id for q in survey.questions}
        return survey.id, questions, people


def test_definition_for_organisers_and_recipients_only(app, world, finished):
    survey_id, _q, people = _sent(app, finished)
    client = app.test_client()
    with app.app_context():
        organizer, venue = _token(world["organizer"]), _token(people["venue"])
        absent, other, staff = (_token(people["absent"]), _token(world["other"]),
                                _token(world["staff"]))  # fmt: skip
    url = f"/api/v1/surveys/{survey_id}"
    body = client.get(url, headers=organizer).json
    assert [q["key"] for q in body["questions"]][:5] == [
        "satisfaction", "come_again", "visit", "engage", "move"
    ]  # fmt: skip
    assert client.get(url, headers=venue).status_code == 200
    assert client.get(url, headers=absent).json["error"]["code"] == "forbidden"  # registered
    assert client.get(url, headers=other).status_code == 404
    assert client.get(url, headers=staff).status_code == 403
    assert client.get(url).status_code == 401


def test_my_response_put_get_and_the_responses_page(app, world, finished):
    survey_id, q, people = _sent(app, finished)
    client = app.test_client()
    with app.app_context():
        venue, online, organizer = (_token(people["venue"]), _token(people["online"]),
                                    _token(world["organizer"]))  # fmt: skip
    mine = f"/api/v1/surveys/{survey_id}/my-response"
    assert client.get(mine, headers=venue).json["responded"] is False
    bad = client.put(mine, json={"answers": {str(q["scale"]): 8}}, headers=venue)
    assert bad.status_code == 422 and bad.json["error"]["code"] == "validation_error"
    answers = {str(q["scale"]): 4, str(q["text"]): "API から", str(q["multiple"]): [1]}
    with app.app_context():
        from app.surveys.models import SurveyQuestion

        for qid in db.session.scalars(
            select(SurveyQuestion.id).where(SurveyQuestion.survey_id == survey_id)
        ):
            answers.setdefault(str(qid), 5)
    put = client.put(mine, json={"answers": answers}, headers=venue)
    assert put.status_code == 200, put.json
    assert put.json["answers"][str(q["text"])] == "API から"
    answers[str(q["text"])] = "変更"
    assert client.put(mine, json={"answers": answers}, headers=venue).status_code == 200
    client.put(mine, json={"answers": answers}, headers=online)
    page = client.get(f"/api/v1/surveys/{survey_id}/responses?page=1&per_page=1",
                      headers=organizer).json  # fmt: skip
    assert page["sent"] == 2 and page["responded"] == 2 and len(page["responses"]) == 1
    assert page["responses"][0]["user"]["id"] == people["venue"]
    assert page["responses"][0]["answers"][str(q["text"])] == "変更"
    assert client.get(f"/api/v1/surveys/{survey_id}/responses", headers=venue).status_code == 403


def test_anonymous_answers_once_and_errors_have_codes(app, world, finished):
    survey_id, q, people = _sent(app, finished, anonymous=True, sets=False)
    client = app.test_client()
    with app.app_context():
        venue, absent = _token(people["venue"]), _token(people["absent"])
    mine = f"/api/v1/surveys/{survey_id}/my-response"
    answers = {str(q["text"]): "匿名", str(q["multiple"]): [0]}
    first = client.put(mine, json={"answers": answers}, headers=venue)
    assert first.status_code == 200 and first.json["answers"] is None
    again = client.put(mine, json={"answers": answers}, headers=venue)
    assert again.status_code == 409
    assert again.json["error"]["code"] == "survey_already_answered"
    assert client.get(mine, headers=absent).json["error"]["code"] == "survey_not_recipient"
    with app.app_context():
        assert db.session.scalars(select(SurveyResponse.user_id)).all() == [None]


def test_closed_survey_refuses_answers(app, world, finished):
    survey_id, q, people = _sent(app, finished, sets=False)
    with app.app_context():
        from app.surveys.models import Survey

        services.close(db.session.get(Survey, survey_id))
        db.session.commit()
        venue = _token(people["venue"])
    put = app.test_client().put(
        f"/api/v1/surveys/{survey_id}/my-response",
        json={"answers": {str(q["text"]): "遅れて"}},
        headers=venue,
    )
    assert put.status_code == 409 and put.json["error"]["code"] == "survey_closed"


def test_in_the_openapi_document(app):
    paths = app.test_client().get("/api/v1/openapi.json").json["paths"]
    assert "/api/v1/surveys/{survey_id}/my-response" in paths
    assert "put" in paths["/api/v1/surveys/{survey_id}/my-response"]
    assert "/api/v1/surveys/{survey_id}/responses" in paths
