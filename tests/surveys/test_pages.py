"""The survey pages by HTTP: the organiser builds and sends a survey, a person answers it
through the mail's link without logging in, the organiser reads the results and downloads
them; other organisations see nothing; a closed survey or a bad link says so."""

from datetime import timedelta

from sqlalchemy import select

from app.accounts.models import User
from app.audit.models import AuditEvent
from app.core.types import utcnow
from app.extensions import db
from app.surveys.models import Survey, SurveyStatus
from tests.conftest import login, post_form
from tests.surveys.conftest import link_in, mails_to, make_survey

BASE = "/orgs/{org}/series/{series}/surveys"


def _organiser(app, world):
    client = app.test_client()
    login(client, world["emails"]["organizer"])
    return client


def _answer_form(survey, scale="5", text="会場の雰囲気が良かった"):
    data = {}
    for q in survey.questions:
        if q.kind.value == "scale":
            data[f"q{q.id}"] = scale
        elif q.kind.value == "text":
            data[f"q{q.id}"] = text
        else:
            data[f"q{q.id}"] = ["0", "1"]
    return data


def test_organiser_builds_sends_and_reads_the_results(app, world, finished):
    series_id, session_id, people = finished
    org = world["org"]
    base = BASE.format(org=org, series=series_id)
    client = _organiser(app, world)
    manage = client.get(f"/orgs/{org}/series/{series_id}").get_data(as_text=True)
    assert f"{base}?session_id={session_id}" in manage  # the session's "Survey" link
    page = client.get(f"{base}?session_id={session_id}")
    assert page.status_code == 200
    created = post_form(client, base, {"title": "第1回 アンケート", "target": str(session_id)},
                        token_from=base)  # fmt: skip
    assert created.status_code == 302
    with app.app_context():
        survey_id = db.session.scalar(select(Survey.id))
    here = f"{base}/{survey_id}"
    assert post_form(client, f"{here}/kakawari-set", token_from=here).status_code == 302
    post_form(client, f"{here}/questions", {"kind": "text", "label": "ご感想"}, token_from=here)
    page = client.get(here).get_data(as_text=True)
    assert "また参加したいと思いますか" in page and "ご感想" in page
    assert post_form(client, f"{here}/send", token_from=here).status_code == 302
    with app.app_context():
        survey = db.session.get(Survey, survey_id)
        assert survey.status is SurveyStatus.open
        venue = db.session.get(User, people["venue"])
        (mail,) = mails_to(venue.email)
        link = link_in(mail)
        answers = _answer_form(survey)

    person = app.test_client()  # not logged in: the link is enough
    form = person.get(link)
    assert form.status_code == 200 and "また参加したいと思いますか" in form.get_data(as_text=True)
    sent = post_form(person, link, answers, token_from=link)
    assert sent.status_code == 302 and sent.headers["Location"].endswith("/thanks")
    thanks = person.get(sent.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="survey-thanks"' in thanks

    results = client.get(f"{here}/results")
    html = results.get_data(as_text=True)
    assert results.status_code == 200
    assert "会場の雰囲気が良かった" in html and venue.name in html
    assert 'data-testid="rate-venue"' in html and 'data-testid="rate-online"' in html
    assert "50%" in html  # 1 of 2 answered

    csv = post_form(client, f"{here}/responses.csv", token_from=f"{here}/results")
    body = csv.get_data()
    assert body.startswith("\ufeff".encode()) and "参加方法".encode() in body
    assert "会場の雰囲気が良かった".encode() in body
    with app.app_context():
        assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.event == "survey.exported"))
    xlsx = post_form(client, f"{here}/responses.xlsx", token_from=f"{here}/results")
    assert xlsx.status_code == 200 and xlsx.get_data()[:2] == b"PK"

    board = client.get(f"/orgs/{org}/series/{series_id}/dashboard").get_data(as_text=True)
    assert 'data-testid="figure-come_again"' in board and "100%" in board
    year = client.get(f"/orgs/{org}/reports").get_data(as_text=True)
    assert 'data-testid="year-figure-come_again"' in year


def test_answers_are_checked_and_shown_again(app, world, finished):
    series_id, session_id, people = finished
    with app.app_context():
        survey = make_survey(series_id, session_id)
        from app.surveys import services

        services.send(survey)
        db.session.commit()
        link = link_in(mails_to(db.session.get(User, people["online"]).email)[0])
        answers = _answer_form(survey)
        answers[f"q{survey.questions[0].id}"] = "7"
        text_id = next(q.id for q in survey.questions if q.kind.value == "text")
    person = app.test_client()
    page = post_form(person, link, answers, token_from=link)
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert "会場の雰囲気が良かった" in html  # what was typed stays
    assert f'id="q{text_id}-text"' in html


def test_a_bad_link_or_a_closed_survey_says_so(app, world, finished):
    series_id, session_id, people = finished
    with app.app_context():
        survey = make_survey(series_id, session_id)
        from app.surveys import services

        services.send(survey)
        db.session.commit()
        link = link_in(mails_to(db.session.get(User, people["venue"]).email)[0])
        survey.closes_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    person = app.test_client()
    closed = person.get(link, headers={"Accept-Language": "en"})
    assert closed.status_code == 409
    assert "This survey is closed" in closed.get_data(as_text=True)
    forged = person.get(link[:-3] + "xyz", headers={"Accept-Language": "en"})
    assert forged.status_code == 400
    assert "invalid or has expired" in forged.get_data(as_text=True)


def test_other_organisations_and_staff_see_nothing(app, world, finished):
    series_id, session_id, _people = finished
    with app.app_context():
        survey = make_survey(series_id, session_id)
        survey_id = survey.id
    here = BASE.format(org=world["org"], series=series_id) + f"/{survey_id}"
    other = app.test_client()
    login(other, world["emails"]["other"])
    assert other.get(f"{here}/results").status_code == 404
    # through their own organisation's address: still not found
    foreign = BASE.format(org=world["other_org"], series=series_id) + f"/{survey_id}/results"
    assert other.get(foreign).status_code == 404
    staff = app.test_client()
    login(staff, world["emails"]["staff"])
    assert staff.get(f"{here}/results").status_code == 403


def test_mypage_lists_an_open_survey(app, world, finished):
    series_id, session_id, people = finished
    with app.app_context():
        survey = make_survey(series_id, session_id)
        from app.surveys import services

        services.send(survey)
        db.session.commit()
        survey_id = survey.id
        email = db.session.get(User, people["venue"]).email
    client = app.test_client()
    login(client, email)
    page = client.get("/me").get_data(as_text=True)
    assert f'data-testid="mypage-survey-{survey_id}"' in page
    assert "/surveys/r/" in page


def test_anonymous_results_hide_small_groups_and_the_file_has_no_attendance(app, world, finished):
    series_id, session_id, people = finished
    with app.app_context():
        from app.surveys import respond, services

        survey = make_survey(series_id, session_id, anonymous=True, sets=False, text=False)
        services.send(survey)
        qid = survey.questions[0].id
        respond.submit(survey, people["online"], {qid: [1]})  # the one online respondent
        db.session.commit()
        survey_id = survey.id
    here = BASE.format(org=world["org"], series=series_id) + f"/{survey_id}"
    client = _organiser(app, world)
    html = client.get(f"{here}/results").get_data(as_text=True)
    online_cell = html.split(f'data-testid="cell-{qid}-1-online"')[1].split("</td>")[0]
    assert "—" in online_cell and "1" not in online_cell.split(">", 1)[1].replace("—", "")
    body = post_form(client, f"{here}/responses.csv", token_from=f"{here}/results").get_data()
    header = body.decode("utf-8-sig").splitlines()[0]
    assert header == "どこで知りましたか"
